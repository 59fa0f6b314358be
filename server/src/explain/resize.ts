/**
 * Linear resampling of a channels-last tensor [1, ...spatial, C] to new spatial sizes: bilinear
 * in 2D, trilinear in 3D (two bilinear passes). Half-pixel centres, so voxel centres of the two
 * grids line up the way a viewer draws them.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `size` lists the spatial sizes in tensor axis order: [h, w] or [d, h, w]. */
export function resizeSpatial(t: tf.Tensor, size: number[]): tf.Tensor {
  const spatial = t.shape.slice(1, -1);
  if (spatial.length !== size.length) throw new Error(`cannot resize a ${spatial.length}D map to ${size.length}D`);
  if (spatial.every((s, i) => s === size[i])) return t.clone();
  return tf.tidy(() => {
    if (size.length === 2) return tf.image.resizeBilinear(t as tf.Tensor4D, [size[0]!, size[1]!], false, true);
    if (size.length !== 3) throw new Error(`resizing needs 2 or 3 spatial axes, got ${size.length}`);
    const [d, h, w] = size as [number, number, number];
    const c = t.shape[t.shape.length - 1]!;
    const [d0] = spatial as [number, number, number];
    // Pass 1: (h, w) per depth slice. Pass 2: (d, w) per row, with h moved to the batch axis.
    const hw = tf.image.resizeBilinear(tf.reshape(t, [d0, spatial[1]!, spatial[2]!, c]) as tf.Tensor4D, [h, w], false, true);
    const dw = tf.image.resizeBilinear(tf.transpose(hw, [1, 0, 2, 3]) as tf.Tensor4D, [d, w], false, true);
    return tf.reshape(tf.transpose(dw, [1, 0, 2, 3]), [1, d, h, w, c]);
  });
}
