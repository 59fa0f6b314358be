/**
 * Test-time augmentation: average the softmax over the identity, horizontal and vertical flips
 * and four small shifts (edge-padded, 1/16 of the size, at least 1 px).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The views of a batch x [B, H, W, C]. The caller disposes them. */
export function ttaViews(x: tf.Tensor4D): tf.Tensor4D[] {
  const [, h, w] = x.shape;
  const d = Math.max(1, Math.round(Math.min(h, w) / 16));
  const shift = (dy: number, dx: number): tf.Tensor4D =>
    tf.tidy(() => {
      // Pad with edge values, then crop back to the original size, displaced by (dy, dx).
      const padded = tf.mirrorPad(x, [[0, 0], [d, d], [d, d], [0, 0]], 'symmetric');
      return tf.slice(padded, [0, d - dy, d - dx, 0], [-1, h, w, -1]) as tf.Tensor4D;
    });
  return [x.clone(), tf.reverse(x, 2), tf.reverse(x, 1), shift(d, 0), shift(-d, 0), shift(0, d), shift(0, -d)];
}

/** Mean softmax over the views; `logitsOf` maps a batch to logits [B, K]. */
export function predictWithTta(logitsOf: (x: tf.Tensor4D) => tf.Tensor2D, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const views = ttaViews(x);
    const probs = views.map((v) => tf.softmax(logitsOf(v)));
    return tf.div(tf.addN(probs), views.length) as tf.Tensor2D;
  });
}
