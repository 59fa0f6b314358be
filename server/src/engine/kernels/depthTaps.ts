/**
 * The depth-tap stacking behind conv3d-as-conv2d (conv3dKernels.ts), as plain loops over wasm
 * memory: stock wasm Slice/StridedSlice on rank-5 tensors fall back to a generic per-element
 * path (~1 s for a 32^3 x 8 batch, measured), so the 5D gathers are done here in one pass.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasmOps';

export interface DepthTaps {
  /** Filter depth, stride and dilation along depth, front pad (may be negative), output depth. */
  taps: number;
  stride: number;
  dilation: number;
  front: number;
  outDepth: number;
}

/** x [N,D,H,W,C] -> X' [N*Do, H, W, kd*C] with X'[n*Do+z, h, w, a*C+c] = x[n, z*s + a*d - front, h, w, c]. */
export function stackDepthTaps(backend: WasmBackend, x: TensorInfo, t: DepthTaps): TensorInfo {
  const [n, d, h, w, c] = x.shape as [number, number, number, number, number];
  const out = backend.makeOutput([n * t.outDepth, h, w, t.taps * c], 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const plane = h * w;
  const kc = t.taps * c;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < t.outDepth; z++) {
      const rowBase = (b * t.outDepth + z) * plane * kc;
      for (let a = 0; a < t.taps; a++) {
        const zs = z * t.stride + a * t.dilation - t.front;
        let o = rowBase + a * c;
        if (zs < 0 || zs >= d) {
          for (let p = 0; p < plane; p++, o += kc) dst.fill(0, o, o + c);
          continue;
        }
        let i = (b * d + zs) * plane * c;
        if (c === 1) {
          for (let p = 0; p < plane; p++, o += kc) dst[o] = src[i++]!;
        } else {
          for (let p = 0; p < plane; p++, o += kc, i += c) dst.set(src.subarray(i, i + c), o);
        }
      }
    }
  }
  return out;
}

/** The adjoint: dX' [N*Do, H, W, kd*C] -> dx [N,D,H,W,C], summing every tap back onto its depth. */
export function unstackDepthTaps(backend: WasmBackend, dX: TensorInfo, xShape: number[], t: DepthTaps): TensorInfo {
  const [n, d, h, w, c] = xShape as [number, number, number, number, number];
  const out = backend.makeOutput(xShape, 'float32');
  const src = backend.typedArrayFromHeap(dX) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  const plane = h * w;
  const kc = t.taps * c;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < t.outDepth; z++) {
      const rowBase = (b * t.outDepth + z) * plane * kc;
      for (let a = 0; a < t.taps; a++) {
        const zs = z * t.stride + a * t.dilation - t.front;
        if (zs < 0 || zs >= d) continue;
        let i = rowBase + a * c;
        let o = (b * d + zs) * plane * c;
        for (let p = 0; p < plane; p++, i += kc) {
          for (let k = 0; k < c; k++, o++) dst[o] = dst[o]! + src[i + k]!;
        }
      }
    }
  }
  return out;
}
