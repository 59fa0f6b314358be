/**
 * StridedSlice of integer and boolean tensors. Stock tfjs-wasm 4.22 allocates the strided
 * (non-contiguous) result as float32 whatever the input: an int32 tensor comes back as float32
 * holding the integers' bit patterns (2 reads as 2.8e-45), so `cast(..., 'int32')` gives 0. The
 * U-Net's deep supervision subsamples its int32 label maps this way, and every coarse output
 * trained against all-background labels. The copy itself moves 4-byte words, so an int32 result
 * only needs its dtype back: the words are copied into an int32 output. Booleans (1 byte) go
 * through int32.
 */
import { StridedSlice, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { withOps, type WasmBackend } from './wasmOps';

/** The stock slice of an int32 tensor, given back its dtype (views taken after allocating: the heap may move). */
function int32Slice(stock: KernelFunc, args: Parameters<KernelFunc>[0]): TensorInfo {
  const b = args.backend as WasmBackend;
  const raw = stock(args) as TensorInfo;
  if (raw.dtype === 'int32') return raw;
  const out = b.makeOutput(raw.shape, 'int32');
  const words = b.typedArrayFromHeap(raw) as Float32Array;
  (b.typedArrayFromHeap(out) as Int32Array).set(new Int32Array(words.buffer, words.byteOffset, words.length));
  b.disposeData(raw.dataId);
  return out;
}

export function stridedSliceConfig(stock: (n: string) => KernelFunc): KernelConfig {
  return {
    kernelName: StridedSlice,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      if (x.dtype === 'int32') return int32Slice(stock(StridedSlice), args);
      if (x.dtype !== 'bool') return stock(StridedSlice)(args);
      return withOps(args.backend, [x], (ops) => {
        const asInt = ops.run('Cast', { x }, { dtype: 'int32' });
        const sliced = ops.adopt(int32Slice(stock(StridedSlice), { ...args, inputs: { x: asInt } }));
        return ops.run('Cast', { x: sliced }, { dtype: 'bool' });
      });
    },
  };
}
