/**
 * Seeded random augmentations for 2D and 3D alike (MONAI-style: `spatialDims` picks which axes
 * move): flips, shifts, rotations and scaling as one affine resampling, plus intensity jitter.
 * The same spatial transform can be applied to a mask (nearest neighbour) so that boxes and
 * label maps stay on the anatomy. Works on CPU Float32Arrays: no tensors to leak.
 */
import type { Rng } from './rng';
import { makeVolume, type Volume } from './volume';

export type Axis = 'x' | 'y' | 'z';

export interface AugmentOptions {
  /** Axes that may be mirrored, each with probability 0.5 (default ['x']; 'z' only in 3D). */
  flip?: Axis[];
  /** Largest shift, as a fraction of the size along each moving axis (default 0.1). */
  shift?: number;
  /** Largest rotation in degrees: in-plane for 2D, about each axis for 3D (default 15). */
  rotate?: number;
  /** Zoom range (default [0.9, 1.1]); > 1 enlarges the content. */
  scale?: [number, number];
  /** Largest brightness offset, on [0, 1] intensities (default 0.1). */
  brightness?: number;
  /** Largest relative contrast change (default 0.1). */
  contrast?: number;
  /** Largest relative per-channel gain change, colour images only (default 0.05). */
  colour?: number;
  /** Standard deviation of added Gaussian noise (default 0). */
  noise?: number;
  /**
   * What the intensities are: `unit` images in [0, 1] (contrast about 0.5, clamped back to
   * [0, 1]; the default), or `zscore` volumes normalised to mean 0, sd 1 (contrast about 0, no
   * clamp: clamping would cut away every intensity below the mean).
   */
  intensity?: 'unit' | 'zscore';
}

export const DEFAULT_AUGMENT: Required<AugmentOptions> = { flip: ['x'], shift: 0.1, rotate: 15, scale: [0.9, 1.1], brightness: 0.1, contrast: 0.1, colour: 0.05, noise: 0, intensity: 'unit' };

/** Output voxel (z, y, x) samples the input at matrix * (p - centre) + centre + offset. */
export interface SpatialTransform {
  /** Row-major 3x3 on (z, y, x). */
  matrix: number[];
  offset: [number, number, number];
}

function rotation(axis: 0 | 1 | 2, a: number): number[] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  // Rotation in the plane of the two axes other than `axis`, on (z, y, x) coordinates.
  if (axis === 0) return [1, 0, 0, 0, c, -s, 0, s, c];
  if (axis === 1) return [c, 0, s, 0, 1, 0, -s, 0, c];
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

function mul(a: number[], b: number[]): number[] {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return r;
}

/** Draws a random flip/rotate/scale/shift for a volume of `shape` ([D, H, W]). */
export function randomSpatialTransform(rng: Rng, spatialDims: 2 | 3, shape: readonly [number, number, number], opts: AugmentOptions = {}): SpatialTransform {
  const o = { ...DEFAULT_AUGMENT, ...opts };
  const maxAngle = (o.rotate * Math.PI) / 180;
  let m = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (maxAngle > 0) {
    // 2D turns in the (y, x) plane only; 3D about each of the three axes.
    const axes: (0 | 1 | 2)[] = spatialDims === 2 ? [0] : [0, 1, 2];
    for (const axis of axes) m = mul(m, rotation(axis, rng.uniform(-maxAngle, maxAngle)));
  }
  const zoom = o.scale[0] === o.scale[1] ? o.scale[0] : rng.uniform(o.scale[0], o.scale[1]);
  m = m.map((x) => x / zoom);
  if (spatialDims === 2) m = [1, 0, 0, 0, m[4]!, m[5]!, 0, m[7]!, m[8]!];
  const flipIndex: Record<Axis, number> = { z: 0, y: 1, x: 2 };
  for (const axis of o.flip) {
    if (axis === 'z' && spatialDims === 2) continue;
    // Draw for every axis listed, used or not, so the stream does not depend on earlier draws.
    if (rng.chance(0.5)) {
      const c = flipIndex[axis];
      for (let r = 0; r < 3; r++) m[r * 3 + c] = -m[r * 3 + c]!;
    }
  }
  const offset: [number, number, number] = [0, 0, 0];
  for (let a = spatialDims === 2 ? 1 : 0; a < 3; a++) offset[a] = rng.uniform(-o.shift, o.shift) * shape[a]!;
  return { matrix: m, offset };
}

/**
 * Resamples `v` through `t`: linear for images (edges extended, so no black borders appear),
 * nearest with zero fill for masks and label maps.
 */
export function applySpatialTransform(v: Volume, t: SpatialTransform, interp: 'linear' | 'nearest'): Volume {
  const [D, H, W] = v.shape;
  const C = v.channels;
  const out = makeVolume([D, H, W], C);
  const src = v.data;
  const dst = out.data;
  const cz = (D - 1) / 2;
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  const m = t.matrix;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m as [number, number, number, number, number, number, number, number, number];
  const [oz, oy, ox] = t.offset;
  // Plane and row strides, per channel block: a voxel's channels are contiguous.
  const sH = W * C;
  const sD = H * sH;
  for (let z = 0; z < D; z++) {
    const pz = z - cz;
    for (let y = 0; y < H; y++) {
      const py = y - cy;
      const rz = m0 * pz + m1 * py;
      const ry = m3 * pz + m4 * py;
      const rx = m6 * pz + m7 * py;
      let oi = (z * H + y) * W * C;
      for (let x = 0; x < W; x++, oi += C) {
        // The same arithmetic, in the same order, as a voxel-by-voxel matrix product.
        const px = x - cx;
        const sz = rz + m2 * px + cz + oz;
        const sy = ry + m5 * px + cy + oy;
        const sx = rx + m8 * px + cx + ox;
        if (interp === 'nearest') {
          const iz = Math.round(sz);
          const iy = Math.round(sy);
          const ix = Math.round(sx);
          if (iz < 0 || iy < 0 || ix < 0 || iz >= D || iy >= H || ix >= W) continue;
          const si = iz * sD + iy * sH + ix * C;
          for (let c = 0; c < C; c++) dst[oi + c] = src[si + c]!;
          continue;
        }
        // Edges extended: clamp the sample point into the volume.
        const qz = sz < 0 ? 0 : sz > D - 1 ? D - 1 : sz;
        const qy = sy < 0 ? 0 : sy > H - 1 ? H - 1 : sy;
        const qx = sx < 0 ? 0 : sx > W - 1 ? W - 1 : sx;
        const z0 = Math.floor(qz);
        const y0 = Math.floor(qy);
        const x0 = Math.floor(qx);
        const fz = qz - z0;
        const fy = qy - y0;
        const fx = qx - x0;
        const dz = z0 + 1 < D ? sD : 0;
        const dy = y0 + 1 < H ? sH : 0;
        const dx = x0 + 1 < W ? C : 0;
        const i000 = z0 * sD + y0 * sH + x0 * C;
        for (let c = 0; c < C; c++) {
          const i = i000 + c;
          const a = src[i]! * (1 - fx) + src[i + dx]! * fx;
          const b = src[i + dy]! * (1 - fx) + src[i + dy + dx]! * fx;
          const d = src[i + dz]! * (1 - fx) + src[i + dz + dx]! * fx;
          const e = src[i + dz + dy]! * (1 - fx) + src[i + dz + dy + dx]! * fx;
          dst[oi + c] = (a * (1 - fy) + b * fy) * (1 - fz) + (d * (1 - fy) + e * fy) * fz;
        }
      }
    }
  }
  return out;
}

/** Brightness, contrast, per-channel gain and noise, in place; `unit` images are clamped to [0, 1]. */
export function jitterIntensity(v: Volume, rng: Rng, opts: AugmentOptions = {}): void {
  const o = { ...DEFAULT_AUGMENT, ...opts };
  const brightness = rng.uniform(-o.brightness, o.brightness);
  const contrast = 1 + rng.uniform(-o.contrast, o.contrast);
  const gains = Array.from({ length: v.channels }, () => (v.channels >= 3 ? 1 + rng.uniform(-o.colour, o.colour) : 1));
  const noise = o.noise;
  const unit = o.intensity === 'unit';
  const centre = unit ? 0.5 : 0;
  for (let i = 0; i < v.data.length; i++) {
    let x = (v.data[i]! - centre) * contrast + centre + brightness;
    x *= gains[i % v.channels]!;
    if (noise > 0) x += rng.normal() * noise;
    v.data[i] = unit ? (x < 0 ? 0 : x > 1 ? 1 : x) : x;
  }
}

/**
 * One augmentation draw applied to an image and, with the same geometry, to its mask.
 * `rng` should be seeded per sample (e.g. createRng(deriveSeed(seed, sampleIndex))).
 */
export function augment(image: Volume, rng: Rng, spatialDims: 2 | 3, opts: AugmentOptions = {}, mask?: Volume): { image: Volume; mask?: Volume } {
  const t = randomSpatialTransform(rng, spatialDims, image.shape, opts);
  const out = applySpatialTransform(image, t, 'linear');
  jitterIntensity(out, rng, opts);
  return mask ? { image: out, mask: applySpatialTransform(mask, t, 'nearest') } : { image: out };
}
