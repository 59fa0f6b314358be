/**
 * 95th-percentile Hausdorff distance (HD95, mm) between a predicted and a true mask, as MONAI's
 * compute_hausdorff_distance(percentile=95) reports it: the larger of the two directed 95th
 * percentiles of surface-to-surface distances (surface = mask voxels with a 6-neighbour outside;
 * for a 2D image, shape [1, H, W], pixels with a 4-neighbour outside).
 * Distances are brute force over surface voxels: fine for organ-sized structures (thousands of
 * surface voxels); NaN when either mask is empty.
 */
import { percentile } from '../data/volumes/fingerprint';

type Triple = [number, number, number];

function surface(mask: Uint8Array, shape: Triple): number[] {
  const [D, H, W] = shape;
  const out: number[] = [];
  for (let z = 0; z < D; z++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = (z * H + y) * W + x;
        if (!mask[i]) continue;
        // A single slice (D = 1) is a 2D image: its surface is the in-plane boundary (4-neighbours).
        const edge =
          y === 0 || y === H - 1 || x === 0 || x === W - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - W] || !mask[i + W] ||
          (D > 1 && (z === 0 || z === D - 1 || !mask[i - H * W] || !mask[i + H * W]));
        if (edge) out.push(z, y, x);
      }
  return out;
}

function directed(a: number[], b: number[], sp: Triple): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 3) {
    let best = Infinity;
    for (let j = 0; j < b.length; j += 3) {
      const d = ((a[i]! - b[j]!) * sp[0]) ** 2 + ((a[i + 1]! - b[j + 1]!) * sp[1]) ** 2 + ((a[i + 2]! - b[j + 2]!) * sp[2]) ** 2;
      if (d < best) best = d;
    }
    out.push(Math.sqrt(best));
  }
  return out.sort((x, y) => x - y);
}

export function hd95(pred: Uint8Array, truth: Uint8Array, shape: Triple, spacing: Triple = [1, 1, 1]): number {
  const a = surface(pred, shape);
  const b = surface(truth, shape);
  if (!a.length || !b.length) return NaN;
  return Math.max(percentile(directed(a, b, spacing), 0.95), percentile(directed(b, a, spacing), 0.95));
}

/** Per-class masks (1 where labels === k). */
export function classMask(labels: ArrayLike<number>, k: number): Uint8Array {
  const m = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) m[i] = labels[i] === k ? 1 : 0;
  return m;
}
