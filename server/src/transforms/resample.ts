/**
 * Resizing volumes to a model's input size. Linear resampling is separable and antialiased
 * (a triangle filter widened by the shrink factor, as PIL and tf.image's antialias do), so a
 * 512-pixel image shrunk to 32 averages its pixels instead of skipping most of them. Labels use
 * nearest neighbour so classes never blend. Pixel centres follow the half-pixel convention.
 */
import { makeVolume, type Volume } from './volume';

interface Tap {
  index: number;
  weight: number;
}

/** For each output index along one axis: the input indices and weights that make it. */
function filterTable(inSize: number, outSize: number): Tap[][] {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const table: Tap[][] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    const lo = Math.floor(centre - support);
    const hi = Math.ceil(centre + support);
    const taps: Tap[] = [];
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i - centre) / support);
      if (w <= 0) continue;
      const index = Math.min(inSize - 1, Math.max(0, i));
      taps.push({ index, weight: w });
      sum += w;
    }
    for (const t of taps) t.weight /= sum;
    table.push(taps);
  }
  return table;
}

/** Resamples one axis (0 = D, 1 = H, 2 = W) to `outSize`. */
function resampleAxis(v: Volume, axis: 0 | 1 | 2, outSize: number): Volume {
  if (v.shape[axis] === outSize) return v;
  const shape = [...v.shape] as [number, number, number];
  shape[axis] = outSize;
  const out = makeVolume(shape, v.channels);
  const table = filterTable(v.shape[axis], outSize);
  const [D, H, W] = v.shape;
  const C = v.channels;
  const inStride = axis === 0 ? H * W * C : axis === 1 ? W * C : C;
  const [oD, oH, oW] = shape;
  const outStride = axis === 0 ? oH * oW * C : axis === 1 ? oW * C : C;
  // Iterate over every line along `axis`: the other two coordinates and the channel.
  const dims = [oD, oH, oW];
  dims[axis] = 1;
  for (let a = 0; a < dims[0]!; a++) {
    for (let b = 0; b < dims[1]!; b++) {
      for (let c = 0; c < dims[2]!; c++) {
        const inBase = axis === 0 ? (b * W + c) * C : axis === 1 ? (a * H * W + c) * C : (a * H + b) * W * C;
        const outBase = axis === 0 ? (b * oW + c) * C : axis === 1 ? (a * oH * oW + c) * C : (a * oH + b) * oW * C;
        for (let ch = 0; ch < C; ch++) {
          for (let o = 0; o < outSize; o++) {
            let s = 0;
            for (const t of table[o]!) s += v.data[inBase + ch + t.index * inStride]! * t.weight;
            out.data[outBase + ch + o * outStride] = s;
          }
        }
      }
    }
  }
  void D;
  return out;
}

/** Linear (antialiased) resize to `shape` ([D, H, W]); axes already the right size are skipped. */
export function resizeLinear(v: Volume, shape: readonly [number, number, number]): Volume {
  return resampleAxis(resampleAxis(resampleAxis(v, 2, shape[2]), 1, shape[1]), 0, shape[0]);
}

/** Nearest-neighbour resize (for label maps and masks). */
export function resizeNearest(v: Volume, shape: readonly [number, number, number]): Volume {
  const [D, H, W] = v.shape;
  if (D === shape[0] && H === shape[1] && W === shape[2]) return v;
  const out = makeVolume([...shape] as [number, number, number], v.channels);
  const C = v.channels;
  const pick = (o: number, inSize: number, outSize: number) => Math.min(inSize - 1, Math.floor(((o + 0.5) * inSize) / outSize));
  for (let z = 0; z < shape[0]; z++) {
    const sz = pick(z, D, shape[0]);
    for (let y = 0; y < shape[1]; y++) {
      const sy = pick(y, H, shape[1]);
      for (let x = 0; x < shape[2]; x++) {
        const sx = pick(x, W, shape[2]);
        const si = ((sz * H + sy) * W + sx) * C;
        const oi = ((z * shape[1] + y) * shape[2] + x) * C;
        for (let c = 0; c < C; c++) out.data[oi + c] = v.data[si + c]!;
      }
    }
  }
  return out;
}
