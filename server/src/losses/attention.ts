/**
 * CARE's attention loss (ALGORITHMS.md), as pure tensor functions:
 * cam = sum_c w_c A_c (Grad-CAM of the true class), min-max normalised per image to [0, 1],
 * resized to the input; per image L = -min(sum(cam * inner), T) + sum(cam * outer); summed over
 * the images that take part (rare class with a box).
 */
import * as tf from '@tensorflow/tfjs-core';
import { resizeMaps } from './camResize';

/** cam [B, H, W] from features A [B, h, w, C] and channel weights w [B, C], normalised and resized. */
export function camFromFeatures(features: tf.Tensor4D, weights: tf.Tensor2D, height: number, width: number, eps = 1e-7): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = features.shape;
    // [B, h*w, C] x [B, C, 1] -> [B, h*w]
    const raw = tf.matMul(features.reshape([b, h * w, c]), weights.reshape([b, c, 1])).reshape([b, h * w]);
    const lo = tf.min(raw, 1, true);
    const hi = tf.max(raw, 1, true);
    const norm = tf.div(tf.sub(raw, lo), tf.add(tf.sub(hi, lo), eps)).reshape([b, h, w]) as tf.Tensor3D;
    return resizeMaps(norm, height, width);
  });
}

/**
 * Sum over the batch of -min(sum(cam * inner), T) + sum(cam * outer), counting only images with
 * take[i] = 1. cam, inner, outer: [B, H, W]; take: [B].
 */
export function attentionLoss(cam: tf.Tensor3D, inner: tf.Tensor3D, outer: tf.Tensor3D, take: tf.Tensor1D, threshold: number): tf.Scalar {
  return tf.tidy(() => {
    const inside = tf.sum(tf.mul(cam, inner), [1, 2]);
    const outside = tf.sum(tf.mul(cam, outer), [1, 2]);
    const perImage = tf.add(tf.neg(tf.minimum(inside, threshold)), outside);
    return tf.sum(tf.mul(perImage, take)) as tf.Scalar;
  });
}

/** Softmax cross-entropy, mean over the batch, optionally weighted per class (long-tail re-weighting). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const onehot = tf.oneHot(labels, k).toFloat();
    const nll = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1));
    if (!classWeights) return tf.mean(nll) as tf.Scalar;
    const w = tf.gather(classWeights, labels);
    return tf.div(tf.sum(tf.mul(nll, w)), tf.sum(w)) as tf.Scalar;
  });
}

/** Softmax cross-entropy weighted per image (class re-weighting x labels data cleaning dropped), normalised by the weights' sum. */
export function itemWeightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, itemWeights: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, logits.shape[1]).toFloat(), tf.logSoftmax(logits)), 1));
    return tf.div(tf.sum(tf.mul(nll, itemWeights)), tf.maximum(tf.sum(itemWeights), 1e-12)) as tf.Scalar;
  });
}

/** alpha * L_cam + (1 - alpha) * CE. */
export function careTotal(ce: tf.Scalar, lcam: tf.Scalar, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mul(lcam, alpha), tf.mul(ce, 1 - alpha)) as tf.Scalar);
}
