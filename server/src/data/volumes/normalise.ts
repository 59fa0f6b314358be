/**
 * Intensity normalisation of a case, as nnU-Net does it: CT clips to the dataset's foreground
 * 0.5-99.5 percentiles and z-scores with the foreground mean and sd (one scale for the whole
 * dataset: Hounsfield units mean the same everywhere); MR z-scores each volume on its own (MR
 * intensities have no absolute scale).
 */
import type { DatasetFingerprint } from './fingerprint';

export type Normalisation = 'ct' | 'mr' | 'none';

export function normaliseIntensities(image: Float32Array, how: Normalisation, fp: Pick<DatasetFingerprint, 'intensity'>): Float32Array {
  const out = new Float32Array(image.length);
  if (how === 'none') {
    out.set(image);
    return out;
  }
  if (how === 'ct') {
    const { p00_5: lo, p99_5: hi, mean, sd } = fp.intensity;
    const s = sd > 0 ? sd : 1;
    for (let i = 0; i < image.length; i++) out[i] = (Math.min(hi, Math.max(lo, image[i]!)) - mean) / s;
    return out;
  }
  let mean = 0;
  for (const v of image) mean += v;
  mean /= image.length;
  let ss = 0;
  for (const v of image) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / image.length) || 1;
  for (let i = 0; i < image.length; i++) out[i] = (image[i]! - mean) / sd;
  return out;
}
