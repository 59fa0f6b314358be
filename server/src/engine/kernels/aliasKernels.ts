/**
 * Identity, and Cast to the same dtype, as new references to the same buffer instead of copies.
 * Stock wasm copies; model B's step made ~110 such copies of whole activations (~110 ms of its
 * 1.6 s, profiled). wasm's own Reshape already aliases this way, and tensor data is never
 * written after creation, so sharing the buffer (refcounted by the backend) is safe — the `cpu`
 * backend's Identity does the same.
 */
import { Cast, Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasmOps';

function alias(backend: WasmBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export function aliasConfigs(stock: (n: string) => KernelFunc): KernelConfig[] {
  return [
    {
      kernelName: Identity,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: TensorInfo };
        if (x.dtype === 'string') return stock(Identity)(args);
        return alias(args.backend as WasmBackend, x);
      },
    },
    {
      kernelName: Cast,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: TensorInfo };
        const { dtype } = args.attrs as { dtype: string };
        if (x.dtype !== dtype || x.dtype === 'string') return stock(Cast)(args);
        return alias(args.backend as WasmBackend, x);
      },
    },
  ];
}
