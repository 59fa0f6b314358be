/**
 * Bilinear up-sampling written as two matrix products (half-pixel centres, edge-clamped, like
 * tf.image.resizeBilinear with halfPixelCenters), so its gradient needs only matMul — which
 * every backend has — and the attention loss trains on any rung of the backend ladder.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The [to, from] interpolation matrix of 1D linear resampling. */
export function linearResizeMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(to * from);
  const scale = from / to;
  for (let i = 0; i < to; i++) {
    const src = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), from - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, from - 1);
    const t = src - lo;
    m[i * from + lo]! += 1 - t;
    m[i * from + hi]! += t;
  }
  return m;
}

/** maps [B, h, w] -> [B, H, W] bilinearly. */
export function resizeMaps(maps: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w] = maps.shape;
    if (h === height && w === width) return maps.clone();
    const ry = tf.tensor2d(linearResizeMatrix(h, height), [height, h]);
    const rx = tf.tensor2d(linearResizeMatrix(w, width), [width, w]);
    // rows: [B*h, w] x [w, W] -> [B, h, W]; then columns: [B, W, h] x [h, H] -> [B, W, H]
    const alongX = tf.matMul(maps.reshape([b * h, w]), rx, false, true).reshape([b, h, width]);
    const alongY = tf.matMul(alongX.transpose([0, 2, 1]).reshape([b * width, h]), ry, false, true).reshape([b, width, height]);
    return alongY.transpose([0, 2, 1]) as tf.Tensor3D;
  });
}
