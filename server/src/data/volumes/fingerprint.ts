/**
 * A dataset fingerprint, as nnU-Net computes one before planning: voxel spacings, volume sizes,
 * intensity statistics of the foreground (labelled) voxels, and how often each class occurs.
 * Written into the run (fingerprint.json) and the input of the automatic configuration.
 */
import type { CaseVolume, Triple } from './caseVolume';

export interface DatasetFingerprint {
  cases: number;
  /** Per axis (D, H, W): median, min and max over cases. */
  spacing: { median: Triple; min: Triple; max: Triple };
  size: { median: Triple; min: Triple; max: Triple };
  /** Intensities of voxels with a label > 0 (all voxels when no case has any). */
  intensity: { mean: number; sd: number; min: number; max: number; p00_5: number; p99_5: number };
  /** Smallest and largest intensity over all voxels of all cases (air at -1000 says CT). */
  range: { min: number; max: number };
  /** Fraction of all voxels with each label value. */
  classFrequency: number[];
  /** Fraction of cases in which each label value occurs. */
  classPresence: number[];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function perAxis(rows: Triple[]): { median: Triple; min: Triple; max: Triple } {
  const col = (a: number) => rows.map((r) => r[a]!);
  const f = (g: (v: number[]) => number): Triple => [g(col(0)), g(col(1)), g(col(2))];
  return { median: f(median), min: f((v) => Math.min(...v)), max: f((v) => Math.max(...v)) };
}

export function percentile(sorted: Float32Array | number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/**
 * `classes` label values are counted (0..classes-1); intensity statistics come from at most
 * `maxSamples` foreground voxels per case (evenly strided), so memory stays small.
 */
export function computeFingerprint(cases: CaseVolume[], classes: number, maxSamples = 10000): DatasetFingerprint {
  if (!cases.length) throw new Error('a fingerprint needs at least one case');
  const counts = new Float64Array(classes);
  const presence = new Float64Array(classes);
  let total = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const samples: number[] = [];
  // Foreground statistics; all voxels only when no case has any foreground.
  const anyForeground = cases.some((c) => c.label?.some((v) => v > 0));
  for (const c of cases) {
    const n = c.image.length;
    const seen = new Uint8Array(classes);
    let fg = 0;
    if (c.label) {
      for (let i = 0; i < n; i++) {
        const v = c.label[i]!;
        if (v < classes) {
          counts[v]!++;
          seen[v] = 1;
        }
        if (v > 0) fg++;
      }
    }
    total += n;
    for (let i = 0; i < n; i++) {
      const v = c.image[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    seen.forEach((s, k) => (presence[k]! += s));
    const useAll = !anyForeground;
    const pool = useAll ? n : fg;
    const step = Math.max(1, Math.floor(pool / maxSamples));
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (!useAll && !(c.label![i]! > 0)) continue;
      if (k++ % step === 0) samples.push(c.image[i]!);
    }
  }
  const sorted = Float32Array.from(samples).sort();
  let mean = 0;
  for (const v of sorted) mean += v;
  mean /= sorted.length;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  return {
    cases: cases.length,
    spacing: perAxis(cases.map((c) => c.spacing)),
    size: perAxis(cases.map((c) => c.shape)),
    intensity: { mean, sd: Math.sqrt(ss / Math.max(1, sorted.length - 1)), min: sorted[0]!, max: sorted[sorted.length - 1]!, p00_5: percentile(sorted, 0.005), p99_5: percentile(sorted, 0.995) },
    range: { min: lo, max: hi },
    classFrequency: Array.from(counts, (v) => v / total),
    classPresence: Array.from(presence, (v) => v / cases.length),
  };
}
