/**
 * MoCo-v2 augmentations for 2D medical images, seeded, on plain Float32Arrays (HWC, values in
 * [0, 1]) so they cost no tensors and run the same on every backend.
 *
 * Reference MoCo-v2: RandomResizedCrop(scale 0.2-1), ColorJitter(0.4, 0.4, 0.4, 0.1) p=0.8,
 * RandomGrayscale p=0.2, GaussianBlur(sigma 0.1-2 at 224 px) p=0.5, horizontal flip.
 * MedStudio's choices (ours): vertical flips and small rotations too (lesions and scans have no
 * canonical left/right or up/down), no hue shift (colour carries diagnosis in dermoscopy),
 * milder jitter, crop scale from 0.3 so that a view keeps some of the lesion.
 */
import type { Rng } from '../../transforms/rng';

export interface AugmentOptions {
  scale: [number, number];
  ratio: [number, number];
  maxRotationDeg: number;
  hflip: number;
  vflip: number;
  jitterP: number;
  brightness: number;
  contrast: number;
  saturation: number;
  grayscaleP: number;
  blurP: number;
  /** Blur sigma range in pixels of the output view. */
  blurSigma: [number, number];
}

export function defaultAugmentOptions(outSize: number): AugmentOptions {
  // The reference's sigma 0.1-2 at 224 px, scaled to the view size (a 64 px view gets 0.03-0.57 px).
  const s = outSize / 224;
  return {
    scale: [0.3, 1],
    ratio: [3 / 4, 4 / 3],
    maxRotationDeg: 15,
    hflip: 0.5,
    vflip: 0.5,
    jitterP: 0.8,
    brightness: 0.3,
    contrast: 0.3,
    saturation: 0.2,
    grayscaleP: 0.1,
    blurP: 0.5,
    blurSigma: [0.1 * s, 2 * s],
  };
}

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** One random view of `src` at outSize x outSize. */
export function augmentView(src: Float32Array, shape: ImageShape, outSize: number, rng: Rng, o: AugmentOptions): Float32Array {
  const out = randomResizedCrop(src, shape, outSize, rng, o);
  if (rng.chance(o.jitterP)) colourJitter(out, shape.channels, rng, o);
  if (shape.channels === 3 && rng.chance(o.grayscaleP)) grayscale(out);
  if (rng.chance(o.blurP)) gaussianBlur(out, outSize, shape.channels, rng.uniform(o.blurSigma[0], o.blurSigma[1]));
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]!));
  return out;
}

/** The whole image resized to outSize (evaluation: no randomness). */
export function resizeImage(src: Float32Array, shape: ImageShape, outSize: number): Float32Array {
  return sampleAffine(src, shape, outSize, [shape.width, 0, 0, shape.height], [shape.width / 2, shape.height / 2]);
}

/** Crop + rotation + flips as one affine map from the output square to the source, bilinear. */
function randomResizedCrop(src: Float32Array, shape: ImageShape, outSize: number, rng: Rng, o: AugmentOptions): Float32Array {
  const area = shape.width * shape.height;
  let cw = shape.width;
  let ch = shape.height;
  for (let attempt = 0; attempt < 10; attempt++) {
    const a = area * rng.uniform(o.scale[0], o.scale[1]);
    const r = Math.exp(rng.uniform(Math.log(o.ratio[0]), Math.log(o.ratio[1])));
    const w = Math.sqrt(a * r);
    const h = Math.sqrt(a / r);
    if (w <= shape.width && h <= shape.height) {
      cw = w;
      ch = h;
      break;
    }
  }
  const cx = rng.uniform(cw / 2, shape.width - cw / 2 + 1e-9);
  const cy = rng.uniform(ch / 2, shape.height - ch / 2 + 1e-9);
  const theta = (rng.uniform(-o.maxRotationDeg, o.maxRotationDeg) * Math.PI) / 180;
  const fx = rng.chance(o.hflip) ? -1 : 1;
  const fy = rng.chance(o.vflip) ? -1 : 1;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // [sx, sy] = R * diag(fx * cw, fy * ch) * [a, b] + [cx, cy], with a, b in [-0.5, 0.5].
  return sampleAffine(src, shape, outSize, [cos * fx * cw, -sin * fy * ch, sin * fx * cw, cos * fy * ch], [cx, cy]);
}

/** out(u, v) = src(M * [a, b] + c) where a, b are the output pixel centre in [-0.5, 0.5]. */
function sampleAffine(src: Float32Array, s: ImageShape, outSize: number, m: [number, number, number, number], c: [number, number]): Float32Array {
  const C = s.channels;
  const out = new Float32Array(outSize * outSize * C);
  for (let v = 0; v < outSize; v++) {
    const b = (v + 0.5) / outSize - 0.5;
    for (let u = 0; u < outSize; u++) {
      const a = (u + 0.5) / outSize - 0.5;
      // Source pixel coordinates (pixel centres at integer + 0.5), clamped at the border.
      const sx = Math.min(s.width - 1, Math.max(0, m[0] * a + m[1] * b + c[0] - 0.5));
      const sy = Math.min(s.height - 1, Math.max(0, m[2] * a + m[3] * b + c[1] - 0.5));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(s.width - 1, x0 + 1);
      const y1 = Math.min(s.height - 1, y0 + 1);
      const wx = sx - x0;
      const wy = sy - y0;
      const o = (v * outSize + u) * C;
      for (let k = 0; k < C; k++) {
        const p00 = src[(y0 * s.width + x0) * C + k]!;
        const p01 = src[(y0 * s.width + x1) * C + k]!;
        const p10 = src[(y1 * s.width + x0) * C + k]!;
        const p11 = src[(y1 * s.width + x1) * C + k]!;
        out[o + k] = (p00 * (1 - wx) + p01 * wx) * (1 - wy) + (p10 * (1 - wx) + p11 * wx) * wy;
      }
    }
  }
  return out;
}

function colourJitter(img: Float32Array, C: number, rng: Rng, o: AugmentOptions): void {
  // Applied in a random order, like torchvision's ColorJitter.
  const ops = rng.shuffle([0, 1, 2]);
  for (const op of ops) {
    if (op === 0) {
      const f = rng.uniform(1 - o.brightness, 1 + o.brightness);
      for (let i = 0; i < img.length; i++) img[i]! *= f;
    } else if (op === 1) {
      const f = rng.uniform(1 - o.contrast, 1 + o.contrast);
      let mean = 0;
      for (let i = 0; i < img.length; i++) mean += img[i]!;
      mean /= img.length;
      for (let i = 0; i < img.length; i++) img[i] = (img[i]! - mean) * f + mean;
    } else if (C === 3) {
      const f = rng.uniform(1 - o.saturation, 1 + o.saturation);
      for (let i = 0; i < img.length; i += 3) {
        const g = 0.299 * img[i]! + 0.587 * img[i + 1]! + 0.114 * img[i + 2]!;
        for (let k = 0; k < 3; k++) img[i + k] = (img[i + k]! - g) * f + g;
      }
    }
  }
}

function grayscale(img: Float32Array): void {
  for (let i = 0; i < img.length; i += 3) {
    const g = 0.299 * img[i]! + 0.587 * img[i + 1]! + 0.114 * img[i + 2]!;
    img[i] = img[i + 1] = img[i + 2] = g;
  }
}

/** Separable Gaussian blur, border clamped. */
function gaussianBlur(img: Float32Array, size: number, C: number, sigma: number): void {
  const r = Math.max(1, Math.ceil(2 * sigma));
  const k: number[] = [];
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    k.push(w);
    sum += w;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const tmp = new Float32Array(img.length);
  const pass = (from: Float32Array, to: Float32Array, dx: number, dy: number) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let i = -r; i <= r; i++) {
            const xx = Math.min(size - 1, Math.max(0, x + i * dx));
            const yy = Math.min(size - 1, Math.max(0, y + i * dy));
            acc += k[i + r]! * from[(yy * size + xx) * C + c]!;
          }
          to[(y * size + x) * C + c] = acc;
        }
      }
    }
  };
  pass(img, tmp, 1, 0);
  pass(tmp, img, 0, 1);
}
