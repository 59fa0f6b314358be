/**
 * CenterNet's loss: the penalty-reduced focal loss on the heatmap (alpha 2, beta 4), L1 on box
 * size (weight 0.1) and on the centre offset (weight 1) at centre cells, each divided by the
 * number of boxes. log(p) and log(1 - p) come from softplus of the logits, so a confident cell
 * cannot give log(0).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface DetectionTargets {
  /** [B, f, f, 1] */
  heat: tf.Tensor4D;
  /** [B, f, f, 2] */
  wh: tf.Tensor4D;
  offset: tf.Tensor4D;
  /** [B, f, f, 1] */
  mask: tf.Tensor4D;
}

export const SIZE_WEIGHT = 0.1;
export const OFFSET_WEIGHT = 1;

export function detectionLoss(heatLogits: tf.Tensor4D, wh: tf.Tensor4D, offset: tf.Tensor4D, t: DetectionTargets): { loss: tf.Scalar; focal: tf.Scalar; size: tf.Scalar; offset: tf.Scalar } {
  return tf.tidy(() => {
    const p = tf.sigmoid(heatLogits);
    const logP = tf.neg(tf.softplus(tf.neg(heatLogits)));
    const log1mP = tf.neg(tf.softplus(heatLogits));
    const pos = t.mask;
    const neg = tf.sub(1, pos);
    const n = tf.maximum(tf.sum(pos), 1);
    const posTerm = tf.sum(tf.mul(tf.mul(logP, tf.square(tf.sub(1, p))), pos));
    const negWeight = tf.pow(tf.sub(1, t.heat), 4);
    const negTerm = tf.sum(tf.mul(tf.mul(tf.mul(log1mP, tf.square(p)), negWeight), neg));
    const focal = tf.div(tf.neg(tf.add(posTerm, negTerm)), n) as tf.Scalar;
    const size = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(wh, t.wh)), pos)), n) as tf.Scalar;
    const off = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(offset, t.offset)), pos)), n) as tf.Scalar;
    const loss = tf.addN([focal, tf.mul(SIZE_WEIGHT, size), tf.mul(OFFSET_WEIGHT, off)]) as tf.Scalar;
    return { loss, focal, size, offset: off };
  });
}
