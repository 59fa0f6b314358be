/**
 * CenterNet's training targets for one image on the feature grid: a Gaussian peak of 1 at each
 * box centre's cell (radius from the box size so that a box shifted by it still overlaps the
 * truth by IoU 0.7, CenterNet's `gaussian_radius`), and at that cell the box size and the
 * sub-cell offset of the centre, both in cells, with a mask marking where they apply.
 */
import type { Box } from '../../metrics/detection';

export interface CenterTargets {
  /** [f, f] in [0, 1]. */
  heat: Float32Array;
  /** [f, f, 2]: width, height in cells at the centre cell. */
  wh: Float32Array;
  /** [f, f, 2]: centre - cell, in [0, 1). */
  offset: Float32Array;
  /** [f, f]: 1 at centre cells. */
  mask: Float32Array;
}

/** CenterNet's gaussian_radius (min over its three overlap cases), for a box of h x w cells. */
export function gaussianRadius(h: number, w: number, minOverlap = 0.7): number {
  const b1 = h + w;
  const c1 = (w * h * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
  const b2 = 2 * (h + w);
  const c2 = (1 - minOverlap) * w * h;
  const r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
  const a3 = 4 * minOverlap;
  const b3 = -2 * minOverlap * (h + w);
  const c3 = (minOverlap - 1) * w * h;
  const r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

/** Targets for boxes given in input pixels, on an f x f grid of `stride` pixels per cell. */
export function centerTargets(boxes: readonly Box[], f: number, stride: number): CenterTargets {
  const t: CenterTargets = { heat: new Float32Array(f * f), wh: new Float32Array(f * f * 2), offset: new Float32Array(f * f * 2), mask: new Float32Array(f * f) };
  for (const b of boxes) {
    const w = b[2] / stride;
    const h = b[3] / stride;
    if (!(w > 0 && h > 0)) continue;
    const cx = Math.min(f - 1e-3, Math.max(0, (b[0] + b[2] / 2) / stride));
    const cy = Math.min(f - 1e-3, Math.max(0, (b[1] + b[3] / 2) / stride));
    const px = Math.floor(cx);
    const py = Math.floor(cy);
    const r = Math.max(0, Math.floor(gaussianRadius(h, w)));
    const sigma = (2 * r + 1) / 6;
    for (let y = Math.max(0, py - r); y <= Math.min(f - 1, py + r); y++)
      for (let x = Math.max(0, px - r); x <= Math.min(f - 1, px + r); x++) {
        const g = Math.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * sigma * sigma));
        const i = y * f + x;
        if (g > t.heat[i]!) t.heat[i] = g;
      }
    const i = py * f + px;
    t.heat[i] = 1;
    t.mask[i] = 1;
    t.wh[i * 2] = w;
    t.wh[i * 2 + 1] = h;
    t.offset[i * 2] = cx - px;
    t.offset[i * 2 + 1] = cy - py;
  }
  return t;
}
