/**
 * Cutting a volume into non-overlapping cubic patches and putting it back together. Volumes are
 * channels-last [B, D, H, W, C]; a patch's voxels are ordered (pd, ph, pw, c), patches in raster
 * order (d, h, w). Pure reshape/transpose: no gather (it has no gradient kernel on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';

export type Grid3 = [number, number, number];

/** Patch grid of a [B, D, H, W, C] volume (throws when a side is not a multiple of p). */
export function patchGrid(shape: readonly number[], p: number): Grid3 {
  const [, d, h, w] = shape as [number, number, number, number, number];
  for (const [name, s] of [['depth', d], ['height', h], ['width', w]] as const) {
    if (s % p !== 0) throw new Error(`volume ${name} ${s} is not a multiple of the patch size ${p}`);
  }
  return [d / p, h / p, w / p];
}

/** [B, D, H, W, C] -> [B, N, p^3 * C]. */
export function patchify(x: tf.Tensor5D, p: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, , , , c] = x.shape;
    const [gd, gh, gw] = patchGrid(x.shape, p);
    const r = tf.reshape(x, [b, gd, p, gh, p, gw, p, c]);
    const t = tf.transpose(r, [0, 1, 3, 5, 2, 4, 6, 7]);
    return tf.reshape(t, [b, gd * gh * gw, p * p * p * c]);
  });
}

/** [B, N, p^3 * C] -> [B, D, H, W, C] for the given patch grid. */
export function unpatchify(tokens: tf.Tensor3D, p: number, grid: Grid3, channels: number): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, n, v] = tokens.shape;
    const [gd, gh, gw] = grid;
    if (n !== gd * gh * gw || v !== p * p * p * channels) {
      throw new Error(`cannot unpatchify [${tokens.shape.join(', ')}] into a ${grid.join('x')} grid of ${p}^3 x ${channels} patches`);
    }
    const r = tf.reshape(tokens, [b, gd, gh, gw, p, p, p, channels]);
    const t = tf.transpose(r, [0, 1, 4, 2, 5, 3, 6, 7]);
    return tf.reshape(t, [b, gd * p, gh * p, gw * p, channels]);
  });
}
