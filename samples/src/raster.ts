/** Small float RGB raster helpers for the sample generator (no dependencies beyond the PRNG). */
import type { Rng } from '../../server/src/transforms/rng';

export type Rgb = [number, number, number];

/** A w x h RGB image with channels in [0, 1], row-major, interleaved. */
export class Raster {
  readonly px: Float32Array;
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Float32Array(w * h * 3);
  }
  get(x: number, y: number): Rgb {
    const i = (y * this.w + x) * 3;
    return [this.px[i]!, this.px[i + 1]!, this.px[i + 2]!];
  }
  /** Blends colour c over pixel (x, y) with opacity a. */
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (a <= 0 || x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = (y * this.w + x) * 3;
    const b = Math.min(a, 1);
    for (let k = 0; k < 3; k++) this.px[i + k] = this.px[i + k]! * (1 - b) + c[k]! * b;
  }
  /** Multiplies pixel (x, y) by f. */
  scale(x: number, y: number, f: number): void {
    const i = (y * this.w + x) * 3;
    for (let k = 0; k < 3; k++) this.px[i + k] = this.px[i + k]! * f;
  }
  /** RGBA bytes (alpha 255) for PNG encoding. */
  toRgba(): Uint8Array {
    const out = new Uint8Array(this.w * this.h * 4);
    for (let p = 0; p < this.w * this.h; p++) {
      for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.round(Math.min(1, Math.max(0, this.px[p * 3 + k]!)) * 255);
      out[p * 4 + 3] = 255;
    }
    return out;
  }
}

const smooth = (t: number) => t * t * (3 - 2 * t);

/** Smooth value noise in [-1, 1] on a lattice of `cell` pixels (bilinear with smoothstep). */
export function valueNoise(rng: Rng, w: number, h: number, cell: number): Float32Array {
  const gw = Math.ceil(w / cell) + 2;
  const gh = Math.ceil(h / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform(-1, 1);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const ty = smooth(gy - y0);
    for (let x = 0; x < w; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const tx = smooth(gx - x0);
      const a = grid[y0 * gw + x0]!;
      const b = grid[y0 * gw + x0 + 1]!;
      const c = grid[(y0 + 1) * gw + x0]!;
      const d = grid[(y0 + 1) * gw + x0 + 1]!;
      out[y * w + x] = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
    }
  }
  return out;
}

/** Sum of value-noise octaves with halving amplitude, roughly in [-1, 1]. */
export function fractalNoise(rng: Rng, w: number, h: number, cells: readonly number[]): Float32Array {
  const out = new Float32Array(w * h);
  let amp = 1;
  let total = 0;
  for (const cell of cells) {
    const n = valueNoise(rng, w, h, cell);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + amp * n[i]!;
    total += amp;
    amp /= 2;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
  return out;
}

export const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
export const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** Draws an anti-aliased polyline of width `width` (px) by splatting discs along it. */
export function strokePolyline(r: Raster, pts: readonly [number, number][], width: number, c: Rgb, opacity: number): void {
  const cover = new Float32Array(r.w * r.h);
  const rad = width / 2;
  for (let s = 0; s + 1 < pts.length; s++) {
    const [x0, y0] = pts[s]!;
    const [x1, y1] = pts[s + 1]!;
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2));
    for (let t = 0; t <= steps; t++) {
      const cx = x0 + ((x1 - x0) * t) / steps;
      const cy = y0 + ((y1 - y0) * t) / steps;
      for (let y = Math.floor(cy - rad - 1); y <= Math.ceil(cy + rad + 1); y++) {
        for (let x = Math.floor(cx - rad - 1); x <= Math.ceil(cx + rad + 1); x++) {
          if (x < 0 || y < 0 || x >= r.w || y >= r.h) continue;
          const a = clamp01(rad + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
          const i = y * r.w + x;
          if (a > cover[i]!) cover[i] = a;
        }
      }
    }
  }
  for (let i = 0; i < cover.length; i++) if (cover[i]! > 0) r.blend(i % r.w, Math.floor(i / r.w), c, cover[i]! * opacity);
}
