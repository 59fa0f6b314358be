/**
 * Segmentation box source: a small fully convolutional network predicts a lesion mask; the mask
 * (> 0.5) -> largest connected component -> box, scored by the mean probability inside.
 *
 * Without a trained segmentation model (data.boxes.model), MedStudio trains this small net on
 * pseudo-masks — the saliency source's component for each training image — so the network
 * learns what lesions look like across the dataset and smooths out the single-image saliency
 * failures (MedStudio's choice, documented). With data.boxes.model, a segment2d run trained on
 * real masks makes the boxes instead (fromSegment2d.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats, readScalars } from '../engine/tensorReads';
import * as tfl from '@tensorflow/tfjs-layers';
import { kernelVariables } from '../training/optim';
import { train, type InProcessContext, type OpenPhase } from '../training/trainer';
import { createRng, deriveSeed } from '../transforms/rng';
import { boxFromMap, type MapBox } from './regions';

export const SEG_INPUT = 32;

/** image [S, S, C] -> lesion probability [S, S, 1]. Layer names `seg_*`. */
export function buildSegNet(size: number, channels: number, seed = 1): tfl.LayersModel {
  let s = seed;
  const conv = (x: tfl.SymbolicTensor, filters: number, strides: number, name: string, activation: 'relu' | 'sigmoid' = 'relu', k = 3) =>
    tfl.layers.conv2d({ filters, kernelSize: k, strides, padding: 'same', activation, kernelInitializer: tfl.initializers.heNormal({ seed: s++ }), name }).apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [size, size, channels], name: 'seg_image' });
  const e1 = conv(input, 8, 1, 'seg_enc1');
  const e2 = conv(conv(e1, 16, 2, 'seg_down'), 16, 1, 'seg_enc2');
  const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'seg_up' }).apply(e2) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate({ name: 'seg_skip' }).apply([up, e1]) as tfl.SymbolicTensor;
  const d1 = conv(cat, 8, 1, 'seg_dec1');
  const out = conv(d1, 1, 1, 'seg_mask', 'sigmoid', 1);
  return tfl.model({ inputs: input, outputs: out, name: 'lesion_segmenter' });
}

/** Binary cross-entropy + soft Dice, the usual pair for small foreground regions. */
function segLoss(pred: tf.Tensor4D, mask: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(pred, 1e-6, 1 - 1e-6);
    const bce = tf.neg(tf.mean(tf.add(tf.mul(mask, tf.log(p)), tf.mul(tf.sub(1, mask), tf.log(tf.sub(1, p))))));
    const inter = tf.sum(tf.mul(p, mask), [1, 2, 3]);
    const dice = tf.sub(1, tf.mean(tf.div(tf.add(tf.mul(inter, 2), 1), tf.add(tf.add(tf.sum(p, [1, 2, 3]), tf.sum(mask, [1, 2, 3])), 1))));
    return tf.add(bce, dice) as tf.Scalar;
  });
}

export interface SegTrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  signal?: AbortSignal;
  log?: (m: string) => void;
}

interface SegBatch {
  x: tf.Tensor4D;
  mask: tf.Tensor4D;
}

/**
 * Trains the segmenter on images [n][S*S*C] and masks [n][S*S], on the shared trainer in process
 * (no run folder, no checkpoints): Adam at a constant rate, no weight decay, the box source's
 * fixed settings. Deterministic for a seed. Throws when `signal` stops it (a half-trained net
 * must not make boxes).
 */
export async function trainSegNet(images: Float32Array[], masks: Float32Array[], size: number, channels: number, o: SegTrainOptions): Promise<tfl.LayersModel> {
  const model = buildSegNet(size, channels, o.seed);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = images.length;
  const pixels = size * size;
  function* epochBatches(e: number): Generator<SegBatch> {
    const order = createRng(deriveSeed(o.seed, e)).shuffle(Array.from({ length: n }, (_, i) => i));
    for (let b = 0; b < n; b += o.batchSize) {
      const idx = order.slice(b, b + o.batchSize);
      const xb = new Float32Array(idx.length * pixels * channels);
      const mb = new Float32Array(idx.length * pixels);
      idx.forEach((k, i) => (xb.set(images[k]!, i * pixels * channels), mb.set(masks[k]!, i * pixels)));
      yield { x: tf.tensor4d(xb, [idx.length, size, size, channels]), mask: tf.tensor4d(mb, [idx.length, size, size, 1]) };
    }
  }
  const free = (b: SegBatch) => tf.dispose([b.x, b.mask]);
  const phase: OpenPhase<SegBatch> = {
    parts: { models: {} },
    decayed: kernelVariables(model.trainableWeights),
    batches: (e) => ({ steps: Math.ceil(n / o.batchSize), iterate: epochBatches(e), dispose: free }),
    step: async (b) => {
      const { value, grads } = tf.variableGrads(() => segLoss(model.apply(b.x, { training: true }) as tf.Tensor4D, b.mask), vars);
      const [loss] = await readScalars(value).finally(() => {
        value.dispose();
        free(b);
      });
      return { loss: loss!, grads };
    },
    endEpoch: async (s) => {
      o.log?.(`segmentation net: epoch ${s.reportedEpoch}/${o.epochs} loss ${s.trainLoss.toFixed(4)}`);
      return undefined;
    },
  };
  const ctx: InProcessContext = { signal: o.signal ?? new AbortController().signal, metrics: () => undefined, progress: () => undefined, log: o.log ?? (() => undefined) };
  const settings = { optimizer: 'adam' as const, momentum: 0, weightDecay: 0, schedule: 'constant' as const, lr: o.lr, batchSize: o.batchSize, checkpointEvery: 1 };
  try {
    const done = await train(ctx, [{ name: 'segmentation net', epochs: o.epochs, epochOffset: 0, open: async () => phase }], { checkpoints: false, settings });
    if (!done) throw new Error('box generation cancelled');
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Lesion probability maps [n][S*S] for images [n][S*S*C]. */
export async function predictMasks(model: tfl.LayersModel, images: Float32Array[], size: number, channels: number, batchSize = 32): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let b = 0; b < images.length; b += batchSize) {
    const chunk = images.slice(b, b + batchSize);
    const xb = new Float32Array(chunk.length * size * size * channels);
    chunk.forEach((im, i) => xb.set(im, i * size * size * channels));
    const p = tf.tidy(() => model.predict(tf.tensor4d(xb, [chunk.length, size, size, channels])) as tf.Tensor);
    const d = await readFloats(p).finally(() => p.dispose());
    for (let i = 0; i < chunk.length; i++) out.push(d.slice(i * size * size, (i + 1) * size * size));
  }
  return out;
}

/**
 * Probability map -> threshold -> largest component -> box in map pixels. The threshold is 0.5,
 * lowered to the map's Otsu threshold when nothing reaches 0.5 (an under-confident net still
 * ranks lesion pixels first).
 */
export function boxFromMask(prob: Float32Array, size: number): MapBox | undefined {
  let hi = 0;
  for (const v of prob) hi = Math.max(hi, v);
  return boxFromMap({ data: prob, width: size, height: size }, hi > 0.5 ? 0.5 : undefined);
}
