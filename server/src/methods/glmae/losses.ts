/**
 * GL-MAE's loss terms. Reconstruction: MSE between predicted and normalised voxels (per view,
 * MedStudio's default, or per patch as MAE's norm_pix_loss), averaged over masked patches only. Consistency: cosine distance
 * 1 - cos(student, teacher) between projected mean tokens, the teacher side a constant.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Per-patch standardised voxels: [B, N, V] -> same, each patch zero mean / unit variance. */
export function normalisePatches(target: tf.Tensor3D, eps = 1e-6): tf.Tensor3D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(target, 2, true);
    return tf.div(tf.sub(target, mean), tf.sqrt(tf.add(variance, eps))) as tf.Tensor3D;
  });
}

/** Per-view standardised voxels: every view [N, V] zero mean / unit variance over all its voxels. */
export function normaliseViews(target: tf.Tensor3D, eps = 1e-6): tf.Tensor3D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(target, [1, 2], true);
    return tf.div(tf.sub(target, mean), tf.sqrt(tf.add(variance, eps))) as tf.Tensor3D;
  });
}

export type TargetNorm = 'view' | 'patch';

export function normaliseTarget(target: tf.Tensor3D, mode: TargetNorm): tf.Tensor3D {
  return mode === 'patch' ? normalisePatches(target) : normaliseViews(target);
}

/**
 * Mean over masked patches of the per-patch MSE. pred/target [B, N, V], mask [B, N] (1 = masked);
 * the target is normalised per view or per patch first.
 */
export function maskedReconstructionLoss(pred: tf.Tensor3D, target: tf.Tensor3D, mask: tf.Tensor2D, mode: TargetNorm = 'patch'): tf.Scalar {
  return tf.tidy(() => {
    const perPatch = tf.mean(tf.squaredDifference(pred, normaliseTarget(target, mode)), 2);
    return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Mean over rows of 1 - cos(a_i, b_i). b is the teacher's side: compute it outside the gradient
 * tape (tfjs has no stop-gradient op), so no gradient reaches the teacher.
 */
export function cosineDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const an = tf.div(a, tf.add(tf.norm(a, 'euclidean', 1, true), 1e-8));
    const bn = tf.div(b, tf.add(tf.norm(b, 'euclidean', 1, true), 1e-8));
    return tf.sub(1, tf.mean(tf.sum(tf.mul(an, bn), 1))) as tf.Scalar;
  });
}
