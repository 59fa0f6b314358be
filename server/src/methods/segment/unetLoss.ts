/**
 * Deep-supervision Dice + CE (nnU-Net): the loss at full resolution plus the loss of each lower
 * decoder output against the label map subsampled to its grid, weighted 1, 1/2, 1/4, ...
 * normalised to sum to 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import type { Triple } from '../../networks/unet3d';
import { diceCeLoss } from './losses';

export function deepSupervisionWeights(n: number): number[] {
  const w = Array.from({ length: n }, (_, i) => 1 / 2 ** i);
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** outputs[0] full resolution, outputs[i] downsampled by the product of strides[1..i]. */
export function deepSupervisionLoss(outputs: tf.Tensor5D[], labels: tf.Tensor4D, strides: Triple[]): { loss: tf.Scalar; dice: tf.Scalar; ce: tf.Scalar } {
  return tf.tidy(() => {
    const w = deepSupervisionWeights(outputs.length);
    let factor: Triple = [1, 1, 1];
    let loss: tf.Scalar | undefined;
    let first: { dice: tf.Scalar; ce: tf.Scalar } | undefined;
    outputs.forEach((o, i) => {
      if (i > 0) factor = factor.map((f, a) => f * strides[i]![a]!) as Triple;
      const y = i === 0 ? labels : (tf.cast(tf.stridedSlice(labels, [0, 0, 0, 0], labels.shape, [1, ...factor]), 'int32') as tf.Tensor4D);
      if (y.shape.slice(1).some((v, a) => v !== o.shape[a + 1])) throw new Error(`deep supervision: output ${i} is ${o.shape.slice(1, 4).join('x')}, labels subsampled to ${y.shape.slice(1).join('x')}`);
      const r = diceCeLoss(o, y);
      first ??= { dice: r.dice, ce: r.ce };
      const term = tf.mul(r.loss, w[i]!) as tf.Scalar;
      loss = loss ? (tf.add(loss, term) as tf.Scalar) : term;
    });
    return { loss: loss!, ...first! };
  });
}

/**
 * One U-Net training step's loss and gradients (3D, or 2D as one-slice volumes): deep-supervision
 * Dice + CE of the network's `outputs()` (finest first) against `y`, with the Dice and CE terms
 * for the epoch's metrics.
 */
export async function deepSupervisionStep(
  outputs: () => tf.Tensor5D[],
  y: tf.Tensor4D,
  strides: Triple[],
  vars: tf.Variable[],
): Promise<{ loss: number; grads: tf.NamedTensorMap; parts: { trainDiceLoss: number; trainCE: number } }> {
  let terms: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const r = deepSupervisionLoss(outputs(), y, strides);
    terms = tf.keep(tf.stack([r.loss, r.dice, r.ce]) as tf.Tensor1D);
    return r.loss;
  }, vars);
  const [loss, dice, ce] = Array.from(await readFloats(terms!).finally(() => tf.dispose([value, terms!])));
  return { loss: loss!, grads, parts: { trainDiceLoss: dice!, trainCE: ce! } };
}
