/**
 * Traditional saliency maps (no training): spectral residual (Hou & Zhang 2007: the log
 * amplitude spectrum minus its local average, back-transformed with the original phase) and
 * frequency-tuned saliency (Achanta et al. 2009: distance of each blurred pixel's colour from
 * the image's mean colour). Both return a map in [0, 1] at the image's size.
 */
import { fft2d } from './fft';
import { gaussianBlur, resizeGray, toGray, type Gray } from './imageOps';

export type SaliencyMethod = 'spectral-residual' | 'frequency-tuned';

export interface PixelImage {
  /** Interleaved, any range (normalised per image). */
  data: ArrayLike<number>;
  width: number;
  height: number;
  components: number;
}

function normalise(g: Gray): Gray {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of g.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const out = new Float32Array(g.data.length);
  const span = hi - lo || 1;
  for (let i = 0; i < out.length; i++) out[i] = (g.data[i]! - lo) / span;
  return { ...g, data: out };
}

/** Spectral residual saliency, computed at 64x64 (the paper's scale) and resized back. */
export function spectralResidual(img: PixelImage, work = 64): Gray {
  const g = resizeGray(toGray(img.data, img.width, img.height, img.components), work, work);
  const n = work * work;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = g.data[i]!;
  fft2d(re, im, work);
  const logAmp = new Float64Array(n);
  const phase = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    logAmp[i] = Math.log(Math.hypot(re[i]!, im[i]!) + 1e-9);
    phase[i] = Math.atan2(im[i]!, re[i]!);
  }
  // Residual = log amplitude minus its 3x3 local mean (wrapping: the spectrum is periodic).
  for (let y = 0; y < work; y++) {
    for (let x = 0; x < work; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += logAmp[((y + dy + work) % work) * work + ((x + dx + work) % work)]!;
      const r = logAmp[y * work + x]! - s / 9;
      const a = Math.exp(r);
      re[y * work + x] = a * Math.cos(phase[y * work + x]!);
      im[y * work + x] = a * Math.sin(phase[y * work + x]!);
    }
  }
  fft2d(re, im, work, true);
  const sal = new Float32Array(n);
  for (let i = 0; i < n; i++) sal[i] = re[i]! * re[i]! + im[i]! * im[i]!;
  const blurred = gaussianBlur({ data: sal, width: work, height: work }, work / 24);
  return normalise(resizeGray(blurred, img.width, img.height));
}

/** sRGB in [0, 1] -> CIE Lab (D65). */
function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** Frequency-tuned saliency: |mean Lab colour - Gaussian-blurred Lab colour| per pixel. */
export function frequencyTuned(img: PixelImage): Gray {
  const { width: w, height: h, components: c } = img;
  let hi = 0;
  for (let i = 0; i < img.data.length; i++) hi = Math.max(hi, img.data[i]!);
  const scale = hi > 1.5 ? 255 : 1;
  const planes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  for (let i = 0; i < w * h; i++) {
    const lab = c >= 3 ? rgbToLab(img.data[i * c]! / scale, img.data[i * c + 1]! / scale, img.data[i * c + 2]! / scale) : ([(100 * img.data[i * c]!) / scale, 0, 0] as const);
    planes[0]![i] = lab[0];
    planes[1]![i] = lab[1];
    planes[2]![i] = lab[2];
  }
  const sigma = Math.max(1, Math.min(w, h) / 64);
  const out = new Float32Array(w * h);
  for (const p of planes) {
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    const bl = gaussianBlur({ data: p, width: w, height: h }, sigma).data;
    for (let i = 0; i < out.length; i++) out[i]! += (bl[i]! - mean) ** 2;
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]!);
  return normalise({ data: out, width: w, height: h });
}

export function saliencyMap(img: PixelImage, method: SaliencyMethod): Gray {
  return method === 'spectral-residual' ? spectralResidual(img) : frequencyTuned(img);
}
