/**
 * A case resampled to a target voxel spacing (linear for the image, nearest for labels), so that
 * a voxel means the same millimetres in every scan: the grid size becomes
 * round(size x spacing / target) per axis and the physical extent stays (to within a voxel).
 */
import { resizeLinear, resizeNearest } from '../../transforms/resample';
import type { CaseVolume, Triple } from './caseVolume';

/** Spacings equal to within 0.1%: no resampling needed. */
export function sameSpacing(a: Triple, b: Triple): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= 1e-3 * Math.max(v, b[i]!));
}

export function resampleShape(shape: Triple, from: Triple, to: Triple): Triple {
  return shape.map((n, a) => Math.max(1, Math.round((n * from[a]!) / to[a]!))) as Triple;
}

export function resampleCase(c: CaseVolume, spacing: Triple): CaseVolume {
  if (sameSpacing(c.spacing, spacing)) return c;
  const shape = resampleShape(c.shape, c.spacing, spacing);
  const out: CaseVolume = { id: c.id, shape, spacing: [...spacing], image: resizeLinear({ data: c.image, shape: c.shape, channels: 1 }, shape).data };
  if (c.label) out.label = Int32Array.from(resizeNearest({ data: Float32Array.from(c.label), shape: c.shape, channels: 1 }, shape).data);
  return out;
}
