/**
 * Decoded image -> model input: first time point of a 4D series, intensity normalised to [0, 1],
 * channels converted (grey <-> RGB, alpha dropped), resized (antialiased linear) to the input
 * size. 2D inputs are [H, W, C], 3D inputs [D, H, W, C], x fastest as in the source.
 */
import { resizeLinear } from '../../transforms/resample';
import { makeVolume, type Volume } from '../../transforms/volume';

/**
 * How stored values become [0, 1]: 'auto' divides 8-bit images by 255 and min-max scales
 * anything else per image; 'minmax' always scales per image; a window [lo, hi] clamps to it
 * (e.g. [-1000, 400] Hounsfield units for chest CT); percentiles [p, q] (in %) clamp each image
 * to its own p-th and q-th percentiles (MR, whose intensities have no absolute scale).
 */
export type Intensity = 'auto' | 'minmax' | { window: [number, number] } | { percentiles: [number, number] };

/** Most values sorted for a percentile: a strided subset of this many is plenty and keeps a 512x512x300 CT fast. */
const PERCENTILE_SAMPLE = 1 << 20;

/** The p-th and q-th percentiles (in %) of the first component of `img` (nearest rank on a strided subset). */
export function imagePercentiles(data: ArrayLike<number>, n: number, components: number, [p, q]: readonly [number, number]): [number, number] {
  const step = Math.max(1, Math.floor(n / PERCENTILE_SAMPLE));
  const values = new Float32Array(Math.ceil(n / step));
  for (let i = 0, k = 0; i < n; i += step, k++) values[k] = data[i * components]!;
  values.sort();
  const at = (pct: number) => values[Math.min(values.length - 1, Math.max(0, Math.round((pct / 100) * (values.length - 1))))]!;
  return [at(p), at(q)];
}

export interface InputGeometry {
  spatialDims: 2 | 3;
  /** Edge length of the input in every spatial axis. */
  size: number;
  channels: 1 | 3;
  intensity: Intensity;
}

/** A decoded image in source layout: x fastest, then y, z; components adjacent. */
export interface RawImage {
  data: ArrayLike<number>;
  /** [x, y, z] (and t, ignored beyond the first time point). */
  dims: readonly number[];
  components: number;
  /** True for 8-bit sources (so 'auto' divides by 255). */
  eightBit: boolean;
}

export class InputShapeError extends Error {}

/** An image holds NaN or infinite values: named here, not later as a diverged loss. */
export class InputValueError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'InputValueError';
  }
}

/**
 * Throws InputValueError when float data holds NaN or +-Infinity (integer types cannot). One
 * such value makes the whole batch's loss NaN, which would otherwise read as "training diverged".
 */
export function checkFinite(img: RawImage, what: string): void {
  const d = img.data;
  if (!(d instanceof Float32Array || d instanceof Float64Array || Array.isArray(d))) return;
  let bad = 0;
  let first = -1;
  let nan = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (Number.isFinite(v)) continue;
    if (first < 0) first = i;
    bad++;
    if (Number.isNaN(v)) nan++;
  }
  if (!bad) return;
  const [w = 1, h = 1] = img.dims;
  const p = Math.floor(first / img.components);
  const at = `(${p % w}, ${Math.floor(p / w) % h}, ${Math.floor(p / (w * h))})`;
  const kinds = [nan ? `${nan} NaN` : '', bad - nan ? `${bad - nan} infinite` : ''].filter(Boolean).join(' and ');
  throw new InputValueError(what, `holds ${kinds} value${bad > 1 ? 's' : ''} (the first at voxel x, y, z = ${at}); fix or remove this image, MedStudio cannot train or predict on it`);
}

export function inputShape(g: InputGeometry): number[] {
  return g.spatialDims === 2 ? [g.size, g.size, g.channels] : [g.size, g.size, g.size, g.channels];
}

/**
 * Normalised [D, H, W, C] volume at the source's own size (first time point, channels
 * converted). toModelInput resizes it; callers with non-cubic targets resize it themselves.
 */
export function normaliseImage(img: RawImage, channels: 1 | 3, intensity: Intensity, spatialDims: 2 | 3, what: string): Volume {
  const [w = 1, h = 1, d = 1] = img.dims;
  if (spatialDims === 2 && d > 1) throw new InputShapeError(`${what}: is a 3D image (${w}x${h}x${d}) but the dataset is 2D`);
  checkFinite(img, what);
  const n = w * h * d;
  const C = img.components;
  let lo = 0;
  let hi = 255;
  if (typeof intensity === 'object') [lo, hi] = 'window' in intensity ? intensity.window : imagePercentiles(img.data, n, C, intensity.percentiles);
  else if (intensity === 'minmax' || !img.eightBit) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < n * C; i++) {
      const v = img.data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  const v: Volume = makeVolume([d, h, w], channels);
  const norm = (x: number) => {
    const y = (x - lo) * scale;
    return y < 0 ? 0 : y > 1 ? 1 : y;
  };
  for (let p = 0; p < n; p++) {
    const s = p * C;
    if (channels === 1) {
      // Luminance (ITU-R BT.601) for colour sources; alpha is ignored.
      v.data[p] = C >= 3 ? norm(0.299 * img.data[s]! + 0.587 * img.data[s + 1]! + 0.114 * img.data[s + 2]!) : norm(img.data[s]!);
    } else if (C >= 3) {
      for (let k = 0; k < 3; k++) v.data[p * 3 + k] = norm(img.data[s + k]!);
    } else {
      const y = norm(img.data[s]!);
      v.data[p * 3] = y;
      v.data[p * 3 + 1] = y;
      v.data[p * 3 + 2] = y;
    }
  }
  return v;
}

/** Normalised and resized model input, laid out as inputShape(g) says. */
export function toModelInput(img: RawImage, g: InputGeometry, what: string): Float32Array {
  const v = normaliseImage(img, g.channels, g.intensity, g.spatialDims, what);
  const target: [number, number, number] = g.spatialDims === 2 ? [1, g.size, g.size] : [g.size, g.size, g.size];
  return resizeLinear(v, target).data;
}
