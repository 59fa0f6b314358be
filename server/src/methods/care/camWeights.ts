/**
 * Grad-CAM channel weights for CARE: the spatial mean of d(logit_true)/dA, taken with a gradient
 * call on the head alone (A -> logits), never on the parameters. The result is a tensor that
 * the enclosing gradient tape does not know (same data, no copy), so the weights are constants in
 * the attention loss: no second-order path, and nothing leaks into the parameter update (the
 * reference code's bug accumulated this gradient into the parameters).
 */
import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../../engine/tensorReads';

/** w [B, C] for features A [B, h, w, C], labels [B], and the head A -> logits [B, K]. */
export function camWeights(head: (a: tf.Tensor4D) => tf.Tensor2D, features: tf.Tensor4D, labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  const w = tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses).toFloat();
    const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head(a as tf.Tensor4D), onehot)))(features);
    return tf.mean(grad, [1, 2]) as tf.Tensor2D;
  });
  // No tape node connects the result to A or to the head's parameters.
  const constant = stopGradient(w);
  w.dispose();
  return constant;
}
