/**
 * Grad-CAM channel weights for CARE: the spatial mean of d(logit_true)/dA, taken with a gradient
 * call on the head alone (A -> logits), never on the parameters. The result is copied into a
 * fresh tensor that the enclosing gradient tape does not know, so the weights are constants in
 * the attention loss: no second-order path, and nothing leaks into the parameter update (the
 * reference code's bug accumulated this gradient into the parameters).
 */
import * as tf from '@tensorflow/tfjs-core';

/** w [B, C] for features A [B, h, w, C], labels [B], and the head A -> logits [B, K]. */
export function camWeights(head: (a: tf.Tensor4D) => tf.Tensor2D, features: tf.Tensor4D, labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  const w = tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses).toFloat();
    const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head(a as tf.Tensor4D), onehot)))(features);
    return tf.mean(grad, [1, 2]) as tf.Tensor2D;
  });
  // A copy from values: no tape node connects it to A or to the head's parameters.
  const constant = tf.tensor2d(w.dataSync(), w.shape as [number, number]);
  w.dispose();
  return constant;
}
