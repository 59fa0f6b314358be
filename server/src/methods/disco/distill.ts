/**
 * DisCo's consistency term (ALGORITHMS.md): squared error between the student's and the frozen
 * teacher's L2-normalised embeddings, applied to both views:
 *   MSE(teacher(im_q), q) + MSE(teacher(im_k), student(im_k)).
 * The reference sums the error over each GPU's 32 images (MSELoss(reduction='sum'), batch 256 on
 * 8 GPUs) beside an InfoNCE averaged over them. A plain sum would make the term's weight grow
 * with our batch size (4x weaker at batch 8), so it is 32 x the per-image mean: the reference's
 * weight at any batch, and exactly its sum at 32 images.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Images per GPU in the reference's training (256 over 8 GPUs). */
export const REFERENCE_IMAGES_PER_GPU = 32;

/** Squared error summed over the embedding and averaged over the batch, times the reference's images per GPU. */
export function distillationError(target: tf.Tensor2D, prediction: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const batch = prediction.shape[0];
    return tf.mul(tf.div(tf.sum(tf.squaredDifference(prediction, target)), batch), REFERENCE_IMAGES_PER_GPU) as tf.Scalar;
  });
}

/** The frozen teacher's embeddings of both views. */
export interface TeacherTargets {
  q: tf.Tensor2D;
  k: tf.Tensor2D;
}

/** The distillation term: each student embedding against the teacher's embedding of the same view. */
export function distillationLoss(teacher: TeacherTargets, studentQ: tf.Tensor2D, studentOnK: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.add(distillationError(teacher.q, studentQ), distillationError(teacher.k, studentOnK)) as tf.Scalar);
}
