/**
 * Transpose as a strided copy over the canonical form of the permutation (size-1 axes dropped,
 * axes that stay adjacent merged). Stock wasm Transpose takes ~100 ns per element on the 5-8-D
 * permutations of patchify and multi-head attention (a [8,4,8,4,8,4,8,1] patchify: 28 ms,
 * measured on model D); after canonicalisation most are 2-4-D and this runs at copy speed.
 * Stock is fast up to 4-D, so inputs of rank <= 4, and canonical forms of rank <= 4, go to it.
 */
import { Transpose, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { withOps, type WasmBackend } from './wasmOps';

type Buf = Float32Array | Int32Array | Uint8Array;

export interface Canonical {
  shape: number[];
  perm: number[];
}

/** Drops size-1 axes and merges runs of axes that stay adjacent and in order. */
export function canonicalTranspose(shape: number[], perm: number[]): Canonical {
  const kept = shape.map((_, i) => i).filter((i) => shape[i]! > 1);
  const rank = new Map(kept.map((a, i) => [a, i]));
  const p = perm.filter((a) => shape[a]! > 1).map((a) => rank.get(a)!);
  const s = kept.map((a) => shape[a]!);
  // Runs of consecutive input axes, in output order.
  const groups: number[][] = [];
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  return {
    shape: byInput.map((g) => g.reduce((n, a) => n * s[a]!, 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** dst = src transposed by perm (shape is src's), walking dst in order. */
export function transposeInto(src: Buf, dst: Buf, shape: number[], perm: number[]): void {
  const r = shape.length;
  if (r <= 1) {
    dst.set(src);
    return;
  }
  const inStride = new Array<number>(r);
  inStride[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) inStride[i] = inStride[i + 1]! * shape[i + 1]!;
  const outShape = perm.map((a) => shape[a]!);
  const stride = perm.map((a) => inStride[a]!);
  const inner = outShape[r - 1]!;
  const sInner = stride[r - 1]!;
  const outer = src.length / inner;
  const idx = new Array<number>(r - 1).fill(0);
  let base = 0;
  let o = 0;
  for (let k = 0; k < outer; k++) {
    for (let j = 0, s = base; j < inner; j++, s += sInner) dst[o++] = src[s]!;
    for (let a = r - 2; a >= 0; a--) {
      idx[a]!++;
      base += stride[a]!;
      if (idx[a]! < outShape[a]!) break;
      base -= stride[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
}

export function transposeConfig(stock: (name: string) => KernelFunc): KernelConfig {
  return {
    kernelName: Transpose,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args;
      const { x } = inputs as { x: TensorInfo };
      const { perm } = attrs as unknown as { perm: number[] };
      if (x.shape.length <= 4 || util.sizeFromShape(x.shape) === 0) return stock(Transpose)(args);
      const c = canonicalTranspose(x.shape, perm);
      const outShape = perm.map((a) => x.shape[a]!);
      if (c.shape.length <= 4) {
        // Stock is fast up to 4-D: run it on the canonical form (reshapes are free).
        return withOps(backend, [x], (ops) => ops.reshape(ops.run(Transpose, { x: ops.reshape(x, c.shape) }, { perm: c.perm }), outShape));
      }
      const b = backend as WasmBackend;
      const out = b.makeOutput(outShape, x.dtype as 'float32' | 'int32' | 'bool');
      transposeInto(b.typedArrayFromHeap(x), b.typedArrayFromHeap(out), c.shape, c.perm);
      return out;
    },
  };
}
