/**
 * A ResNet-style 2D CNN family (basic residual blocks, BatchNorm), width, depth and input size
 * configurable, from 28 px up. Stages are added while the map stays at least 7 px (28 px -> 3
 * stages, 64 px -> 4); inputs of 96 px and more get a stride-2 stem.
 *
 * Stable, readable layer names (the explanations feature lists them; saved models are loaded by
 * name): `image`, `stem_conv|bn|relu`, `s<stage>b<block>_conv1|bn1|relu1|conv2|bn2|proj|proj_bn|
 * add|out`, `features` (the last conv block's activation, Grad-CAM's layer), `pool`, `logits`.
 * The classifier has two outputs, [features, logits], so Grad-CAM needs no second model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormalization } from './batchNorm';

export interface ResNetOptions {
  inputSize: number;
  channels: number;
  /** Channels of the first stage; doubles at each later stage. */
  width: number;
  /** Residual blocks per stage. */
  depth: number;
  /** Stages (default: as many as keep the last map at 7 px or more, 2..4). */
  stages?: number;
  /** Prefix for every layer name (two networks in one model). */
  prefix?: string;
  /** Seed of the weight initialisers (a run is reproducible from its experiment). */
  seed?: number;
}

export interface ResNetClassifierOptions extends ResNetOptions {
  numClasses: number;
}

/** A classifier whose model outputs [features (last conv block), logits]. */
export interface ResNetClassifier {
  model: tfl.LayersModel;
  options: ResNetClassifierOptions;
  /** Name of the last conv block's activation layer (Grad-CAM's target). */
  featureLayer: string;
  /** Name of the Dense layer that maps pooled features to logits. */
  logitsLayer: string;
  /** The head alone: features [B, h, w, C] -> logits [B, K] (for Grad-CAM weights). */
  head(features: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export function stemStride(inputSize: number): number {
  return inputSize >= 96 ? 2 : 1;
}

export function defaultStages(inputSize: number): number {
  const afterStem = inputSize / stemStride(inputSize);
  return Math.max(2, Math.min(4, Math.floor(Math.log2(afterStem / 7)) + 1));
}

/** The feature map side length at the last conv block. */
export function featureSize(o: Pick<ResNetOptions, 'inputSize' | 'stages'>): number {
  let s = Math.ceil(o.inputSize / stemStride(o.inputSize));
  for (let i = 1; i < (o.stages ?? defaultStages(o.inputSize)); i++) s = Math.ceil(s / 2);
  return s;
}

export function featureChannels(o: Pick<ResNetOptions, 'width' | 'inputSize' | 'stages'>): number {
  return o.width * 2 ** ((o.stages ?? defaultStages(o.inputSize)) - 1);
}

/** The convolutional trunk: image -> last block's activation (named `<prefix>features`). */
export function resNetTrunk(input: tfl.SymbolicTensor, o: ResNetOptions): tfl.SymbolicTensor {
  const p = o.prefix ?? '';
  let seed = o.seed ?? 1;
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, strides: number, name: string) =>
    tfl.layers
      .conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;

  let x = relu(bn(conv(input, o.width, 3, stemStride(o.inputSize), `${p}stem_conv`), `${p}stem_bn`), `${p}stem_relu`);
  let filters = o.width;
  const stages = o.stages ?? defaultStages(o.inputSize);
  for (let s = 0; s < stages; s++) {
    if (s > 0) filters *= 2;
    for (let b = 0; b < o.depth; b++) {
      const name = `${p}s${s}b${b}`;
      const strides = s > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, strides, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
      y = bn(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
      const shortcut = strides !== 1 || (x.shape[3] ?? 0) !== filters ? bn(conv(x, filters, 1, strides, `${name}_proj`), `${name}_proj_bn`) : x;
      x = relu(tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor, `${name}_out`);
    }
  }
  // An identity layer with a fixed name, so tools find Grad-CAM's layer whatever the depth.
  return tfl.layers.activation({ activation: 'linear', name: `${p}features` }).apply(x) as tfl.SymbolicTensor;
}

/** A ResNet classifier: image [B, S, S, C] -> [features, logits]. */
export function buildResNetClassifier(o: ResNetClassifierOptions): ResNetClassifier {
  const p = o.prefix ?? '';
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  const features = resNetTrunk(input, o);
  const poolLayer = tfl.layers.globalAveragePooling2d({ name: `${p}pool` });
  const logitsLayer = tfl.layers.dense({
    units: o.numClasses,
    name: `${p}logits`,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: (o.seed ?? 1) + 10007 }),
  });
  const logits = logitsLayer.apply(poolLayer.apply(features)) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: [features, logits], name: `${p}resnet_classifier` });
  return wrapClassifier(model, o);
}

/**
 * Wraps a two-output [features, logits] model (built here or loaded from a run folder) as a
 * ResNetClassifier; the head is re-applied from the model's own `pool` and `logits` layers.
 */
export function wrapClassifier(model: tfl.LayersModel, o: ResNetClassifierOptions): ResNetClassifier {
  const p = o.prefix ?? '';
  const pool = model.getLayer(`${p}pool`);
  const dense = model.getLayer(`${p}logits`);
  return {
    model,
    options: o,
    featureLayer: `${p}features`,
    logitsLayer: `${p}logits`,
    head: (a) => dense.apply(pool.apply(a)) as tf.Tensor2D,
    dispose: () => model.dispose(),
  };
}

/** A pooled-feature encoder (image -> [B, D]) for self-supervised methods. */
export function buildResNetEncoder(o: ResNetOptions): tfl.LayersModel {
  const p = o.prefix ?? '';
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  const pooled = tfl.layers.globalAveragePooling2d({ name: `${p}pool` }).apply(resNetTrunk(input, o)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled, name: `${p}resnet` });
}
