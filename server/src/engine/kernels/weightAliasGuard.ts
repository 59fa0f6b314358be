/**
 * Stock wasm kernels built on XNNPACK (BatchMatMul, _FusedMatMul, Conv2D, FusedConv2D,
 * DepthwiseConv2dNative, FusedDepthwiseConv2D) cache their packed weights by the weight tensor's
 * buffer id. A reshape shares the buffer, so the same id can come back with another shape and
 * meet stale packed weights: wrong results or an out-of-bounds crash (found by gradcheck; seen
 * with matMul(a, w) then matMul(b, reshape(w))). The guard remembers the shape each buffer was
 * first used with and hands XNNPACK a copy whenever a different shape turns up.
 */
import { type DataId, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasmOps';

const firstShape = new WeakMap<DataId, string>();

/** The weight input itself, or a fresh copy when its buffer was packed with another shape. */
export function guardWeights(backend: WasmBackend, w: TensorInfo): { w: TensorInfo; copied: boolean } {
  const key = w.shape.join('x');
  const seen = firstShape.get(w.dataId);
  if (seen === undefined) {
    firstShape.set(w.dataId, key);
    return { w, copied: false };
  }
  if (seen === key) return { w, copied: false };
  // A real copy (the pack's Identity only adds a reference to the same buffer).
  const copy = backend.makeOutput(w.shape, w.dtype as 'float32');
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(w));
  firstShape.set(copy.dataId, key);
  return { w: copy, copied: true };
}

/** Which input of each XNNPACK-backed kernel holds the cached weights. */
export const WEIGHT_INPUT: Record<string, string> = {
  BatchMatMul: 'b',
  _FusedMatMul: 'b',
  Conv2D: 'filter',
  FusedConv2D: 'filter',
  DepthwiseConv2dNative: 'filter',
  FusedDepthwiseConv2D: 'filter',
};

/** Wraps a kernel function so its weight input goes through the guard. */
export function guarded(name: string, fn: KernelFunc): KernelFunc {
  const key = WEIGHT_INPUT[name];
  if (!key) return fn;
  return (args) => {
    const inputs = args.inputs as Record<string, TensorInfo>;
    const backend = args.backend as WasmBackend;
    const { w, copied } = guardWeights(backend, inputs[key]!);
    if (!copied) return fn(args);
    try {
      return fn({ ...args, inputs: { ...inputs, [key]: w } });
    } finally {
      backend.disposeData(w.dataId);
    }
  };
}
