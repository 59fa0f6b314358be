/**
 * Random patch masking (MAE): per view, exactly round(ratio * N) patches are masked (at least one
 * stays visible), chosen by a seeded shuffle. The encoder gets a one-hot selection of the visible
 * patches ([B, Nvis, N], used as a matMul so it differentiates on every backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../transforms/rng';

export interface PatchMask {
  batch: number;
  patches: number;
  visible: number;
  /** [B * N], 1 = masked. */
  mask: Float32Array;
  /** [B * Nvis * N] one-hot rows, visible patches in ascending order. */
  keep: Float32Array;
}

export function maskedCount(patches: number, ratio: number): number {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`mask ratio must be in [0, 1), got ${ratio}`);
  return Math.min(patches - 1, Math.round(ratio * patches));
}

export function randomMask(rng: Rng, batch: number, patches: number, ratio: number): PatchMask {
  const nMasked = maskedCount(patches, ratio);
  const visible = patches - nMasked;
  const mask = new Float32Array(batch * patches);
  const keep = new Float32Array(batch * visible * patches);
  for (let b = 0; b < batch; b++) {
    const order = rng.shuffle([...Array(patches).keys()]);
    for (const i of order.slice(0, nMasked)) mask[b * patches + i] = 1;
    const vis = order.slice(nMasked).sort((a, c) => a - c);
    vis.forEach((patch, row) => {
      keep[(b * visible + row) * patches + patch] = 1;
    });
  }
  return { batch, patches, visible, mask, keep };
}

export function maskTensors(m: PatchMask): { mask: tf.Tensor2D; keep: tf.Tensor3D } {
  return { mask: tf.tensor2d(m.mask, [m.batch, m.patches]), keep: tf.tensor3d(m.keep, [m.batch, m.visible, m.patches]) };
}

/** Zeroes the voxels of masked patches (what the viewer shows as "masked input"). */
export function applyMaskToPatches(patches: Float32Array, mask: Float32Array, voxelsPerPatch: number, fill = 0): Float32Array {
  const out = Float32Array.from(patches);
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.fill(fill, i * voxelsPerPatch, (i + 1) * voxelsPerPatch);
  return out;
}
