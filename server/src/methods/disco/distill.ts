/**
 * DisCo's consistency term: squared error, summed over the batch and the embedding (PyTorch's
 * MSELoss(reduction='sum')), between the student's and the frozen teacher's L2-normalised
 * embeddings. Applied to both views: MSE(teacher(im_q), q) + MSE(teacher(im_k), student(im_k)).
 */
import * as tf from '@tensorflow/tfjs-core';

export function mseSum(target: tf.Tensor2D, prediction: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.squaredDifference(prediction, target)) as tf.Scalar);
}
