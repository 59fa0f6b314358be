/**
 * An intensity volume as the GL-MAE and segmentation code sees it: one channel, z-major with x
 * fastest, i.e. row-major [D, H, W] (the tensor layout [B, D, H, W, C] without batch/channel).
 */
export interface Volume {
  data: Float32Array;
  /** [D, H, W] = [z, y, x] sizes. */
  dims: [number, number, number];
}

/** Zero mean, unit variance (per volume), so CT HU and MR intensities train alike. */
export function standardise(v: Volume): Volume {
  let sum = 0;
  for (const x of v.data) sum += x;
  const mean = sum / v.data.length;
  let sq = 0;
  for (const x of v.data) sq += (x - mean) * (x - mean);
  const std = Math.sqrt(sq / v.data.length) || 1;
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (v.data[i]! - mean) / std;
  return { data: out, dims: [...v.dims] };
}

/** Voxels of a box [z0, y0, x0] + size [d, h, w] resampled (trilinear, half-voxel centres) to out^3. */
export function resampleBox(v: Volume, start: readonly number[], size: readonly number[], out: readonly number[]): Float32Array {
  const [D, H, W] = v.dims;
  const [od, oh, ow] = out as [number, number, number];
  const res = new Float32Array(od * oh * ow);
  const axis = (n: number, s0: number, len: number, max: number) => {
    const lo = new Int32Array(n);
    const hi = new Int32Array(n);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.min(Math.max(s0 + ((i + 0.5) * len) / n - 0.5, 0), max - 1);
      lo[i] = Math.floor(c);
      hi[i] = Math.min(lo[i]! + 1, max - 1);
      f[i] = c - lo[i]!;
    }
    return { lo, hi, f };
  };
  const az = axis(od, start[0]!, size[0]!, D);
  const ay = axis(oh, start[1]!, size[1]!, H);
  const ax = axis(ow, start[2]!, size[2]!, W);
  const at = (z: number, y: number, x: number) => v.data[(z * H + y) * W + x]!;
  let k = 0;
  for (let i = 0; i < od; i++) {
    const z0 = az.lo[i]!, z1 = az.hi[i]!, fz = az.f[i]!;
    for (let j = 0; j < oh; j++) {
      const y0 = ay.lo[j]!, y1 = ay.hi[j]!, fy = ay.f[j]!;
      for (let l = 0; l < ow; l++) {
        const x0 = ax.lo[l]!, x1 = ax.hi[l]!, fx = ax.f[l]!;
        const c00 = at(z0, y0, x0) * (1 - fx) + at(z0, y0, x1) * fx;
        const c01 = at(z0, y1, x0) * (1 - fx) + at(z0, y1, x1) * fx;
        const c10 = at(z1, y0, x0) * (1 - fx) + at(z1, y0, x1) * fx;
        const c11 = at(z1, y1, x0) * (1 - fx) + at(z1, y1, x1) * fx;
        res[k++] = (c00 * (1 - fy) + c01 * fy) * (1 - fz) + (c10 * (1 - fy) + c11 * fy) * fz;
      }
    }
  }
  return res;
}

/** Voxels of a box at native resolution (the box must lie inside the volume). */
export function cropBox(v: Volume, start: readonly number[], size: readonly number[]): Float32Array {
  const [D, H, W] = v.dims;
  const [d, h, w] = size as [number, number, number];
  const [z0, y0, x0] = start as [number, number, number];
  if (z0 < 0 || y0 < 0 || x0 < 0 || z0 + d > D || y0 + h > H || x0 + w > W) {
    throw new Error(`crop [${start.join(', ')}] + [${size.join(', ')}] lies outside a ${v.dims.join('x')} volume`);
  }
  const out = new Float32Array(d * h * w);
  let k = 0;
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const row = ((z0 + z) * H + y0 + y) * W + x0;
      out.set(v.data.subarray(row, row + w), k);
      k += w;
    }
  return out;
}
