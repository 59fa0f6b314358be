/**
 * Bilinear up-sampling written as two matrix products (half-pixel centres, edge-clamped, like
 * tf.image.resizeBilinear with halfPixelCenters), so its gradient needs only matMul — which
 * every backend has — and the attention loss trains on any rung of the backend ladder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linearInterpMatrix } from '../transforms/interpMatrix';

/** The [to, from] interpolation matrix of 1D linear resampling. */
export { linearInterpMatrix as linearResizeMatrix };

/** maps [B, h, w] -> [B, H, W] bilinearly. */
export function resizeMaps(maps: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w] = maps.shape;
    if (h === height && w === width) return maps.clone();
    const ry = tf.tensor2d(linearInterpMatrix(h, height), [height, h]);
    const rx = tf.tensor2d(linearInterpMatrix(w, width), [width, w]);
    // rows: [B*h, w] x [w, W] -> [B, h, W]; then columns: [B, W, h] x [h, H] -> [B, W, H]
    const alongX = tf.matMul(maps.reshape([b * h, w]), rx, false, true).reshape([b, h, width]);
    const alongY = tf.matMul(alongX.transpose([0, 2, 1]).reshape([b * width, h]), ry, false, true).reshape([b, width, height]);
    return alongY.transpose([0, 2, 1]) as tf.Tensor3D;
  });
}
