/**
 * Runs a LayersModel eagerly, layer by layer, so that a caller can read any layer's output and
 * substitute its own tensor for it. Grad-CAM needs d(logit)/d(A) for a layer output A, which
 * `model.predict` cannot give; feeding A back in as a substitute makes it a plain tf.grad input.
 * Works for Sequential and functional models (skip connections included); a nested model counts
 * as one layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

export type Layer = LayersModel['layers'][number];
type GraphNode = Layer['inboundNodes'][number];

export interface GraphRun {
  /** Outputs of the layers asked for, by layer name (first output of each). */
  layers: Map<string, tf.Tensor>;
  /** Pre-activation class scores [batch, classes] (softmax/sigmoid of the last layer undone). */
  logits: tf.Tensor2D;
}

export interface GraphRunOptions {
  /** Layer names whose outputs the caller wants. */
  fetch?: string[];
  /** Substitute `value` for the output of layer `layer` (gradients then flow into `value`). */
  substitute?: { layer: string; value: tf.Tensor };
  /** Skip computing the logits (only `fetch` is needed): stops after the last fetched layer. */
  featuresOnly?: boolean;
  /** The layer whose output holds the class scores (default: logitsLayerOf(model)). */
  logitsLayer?: string;
}

/**
 * The layer giving class scores: of the model's outputs, the last one shaped [batch, classes]
 * (MedStudio classifiers also output their feature maps).
 */
export function logitsLayerOf(model: LayersModel): string {
  const outs = model.outputs.filter((o) => o.shape.length === 2);
  const last = outs[outs.length - 1];
  if (!last) throw new Error(`the model has no class-score output (outputs: ${model.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')})`);
  return last.sourceLayer.name;
}

/** The node through which `layer` is connected inside `model` (its first inbound node whose inputs are computed). */
function nodeFor(layer: Layer, known: Map<number, tf.Tensor>): GraphNode | undefined {
  return layer.inboundNodes.find((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => known.has(t.id)));
}

/**
 * Runs `model` on `input`. Call inside tf.tidy (or tf.grad): every intermediate is a new tensor.
 */
export function runGraph(model: LayersModel, input: tf.Tensor, opts: GraphRunOptions = {}): GraphRun {
  const values = new Map<number, tf.Tensor>();
  const modelInput = model.inputs[0];
  if (!modelInput || model.inputs.length !== 1) throw new Error(`explanations need a model with one input, this one has ${model.inputs.length}`);
  values.set(modelInput.id, input);
  const wanted = new Set(opts.fetch ?? []);
  const fetched = new Map<string, tf.Tensor>();
  const layers = model.layers;
  const lastFetchIndex = Math.max(-1, ...layers.map((l, i) => (wanted.has(l.name) ? i : -1)));
  const logitsName = opts.featuresOnly ? undefined : (opts.logitsLayer ?? logitsLayerOf(model));
  let logits: tf.Tensor2D | undefined;

  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (opts.featuresOnly && i > lastFetchIndex) break;
    if (layer.getClassName() === 'InputLayer') continue;
    const node = nodeFor(layer, values);
    if (!node) throw new Error(`layer '${layer.name}' has no computable inputs (an unsupported graph shape)`);
    const inputs = node.inputTensors.map((t) => values.get(t.id)!);
    let outputs: tf.Tensor[];
    if (opts.substitute?.layer === layer.name) {
      outputs = [opts.substitute.value];
    } else if (layer.name === logitsName) {
      logits = preActivation(layer, inputs);
      outputs = [logits];
    } else {
      const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { ...(node.callArgs ?? {}), training: false });
      outputs = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
    }
    node.outputTensors.forEach((t, k) => values.set(t.id, outputs[k]!));
    if (wanted.has(layer.name)) fetched.set(layer.name, outputs[0]!);
    // Nothing after the class scores matters here.
    if (logits && fetched.size === wanted.size) break;
  }
  for (const name of wanted) if (!fetched.has(name)) throw new Error(`no layer named '${name}' in the model`);
  if (opts.featuresOnly) return { layers: fetched, logits: tf.zeros([1, 1]) };
  if (!logits) throw new Error('the model produced no output');
  if (logits.rank !== 2) throw new Error(`the model's output has shape [${logits.shape.join(', ')}]; explanations need class scores [batch, classes]`);
  return { layers: fetched, logits: twoClassIfSingle(logits) };
}

/** One sigmoid unit z becomes scores [-z/2, z/2]: their softmax is [1 - sigmoid(z), sigmoid(z)]. */
function twoClassIfSingle(z: tf.Tensor2D): tf.Tensor2D {
  if (z.shape[1] !== 1) return z;
  const half: tf.Tensor2D = tf.mul(z, 0.5);
  return tf.concat([tf.neg(half), half], 1);
}

/** Class scores before the final softmax/sigmoid: Grad-CAM differentiates y^c, not p^c. */
function preActivation(layer: Layer, inputs: tf.Tensor[]): tf.Tensor2D {
  const config = layer.getConfig();
  const activation = typeof config.activation === 'string' ? config.activation : 'linear';
  const squashing = activation === 'softmax' || activation === 'sigmoid';
  const cls = layer.getClassName();
  if (cls === 'Activation' && squashing) return inputs[0] as tf.Tensor2D;
  if (cls === 'Softmax') return inputs[0] as tf.Tensor2D;
  if (cls === 'Dense' && squashing) {
    const [kernel, bias] = layer.getWeights();
    const x = inputs[0]!;
    if (x.rank !== 2) throw new Error(`the output layer '${layer.name}' takes a rank-${x.rank} input; explanations need [batch, features]`);
    const z = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
    return (bias ? tf.add(z, bias) : z) as tf.Tensor2D;
  }
  if (squashing) throw new Error(`cannot undo the ${activation} of the output layer '${layer.name}' (${cls}) to get class scores`);
  return layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor2D;
}

