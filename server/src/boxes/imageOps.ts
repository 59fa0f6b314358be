/** Plain-array image helpers for box generation: grey conversion, bilinear resize, Gaussian blur. */

/** A row-major single-channel image. */
export interface Gray {
  data: Float32Array;
  width: number;
  height: number;
}

/** Interleaved pixels (components per pixel) -> luminance (Rec. 601 weights for colour). */
export function toGray(data: ArrayLike<number>, width: number, height: number, components: number): Gray {
  const out = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    out[i] = components >= 3 ? 0.299 * data[i * components]! + 0.587 * data[i * components + 1]! + 0.114 * data[i * components + 2]! : data[i * components]!;
  }
  return { data: out, width, height };
}

export function resizeGray(img: Gray, width: number, height: number): Gray {
  if (img.width === width && img.height === height) return { data: new Float32Array(img.data), width, height };
  const out = new Float32Array(width * height);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const tx = fx - x0;
      const a = img.data[y0 * img.width + x0]! * (1 - tx) + img.data[y0 * img.width + x1]! * tx;
      const b = img.data[y1 * img.width + x0]! * (1 - tx) + img.data[y1 * img.width + x1]! * tx;
      out[y * width + x] = a * (1 - ty) + b * ty;
    }
  }
  return { data: out, width, height };
}

/** Separable Gaussian blur with edge clamping. */
export function gaussianBlur(img: Gray, sigma: number): Gray {
  if (sigma <= 0) return { ...img, data: new Float32Array(img.data) };
  const r = Math.ceil(3 * sigma);
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * img.data[y * w + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[y * w + x] = acc;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = acc;
    }
  return { data: out, width: w, height: h };
}
