/**
 * Binary element-wise ops on webgpu with a rank-5+ operand and a short vector (a 3D network's
 * per-channel bias, scale or statistics: [1, D, H, W, C] op [C]). tfjs-backend-webgpu 4.22 puts
 * the vector in workgroup memory and indexes it with `coords[4]`, which WGSL rejects for its
 * 5-component struct: the shader fails validation, nothing throws, and the result is garbage
 * ("cannot index type 'vec5'"). The same op on a rank-2 view [D*H*W, C] is the same values.
 */
import { getKernel, registerKernel, unregisterKernel, util, type KernelBackend, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** The webgpu kernels built on BinaryOpProgram (inputs `a` and `b`). */
const BINARY_KERNELS = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow', 'Mod', 'Atan2',
  'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr',
];

/** BinaryOpProgram's shared-memory case: a vector of 2..127 values beside an operand of rank > 1. */
const SHARED_MAX = 128;

/**
 * Whether `big` op `vec` takes the broken path, i.e. `vec` is rank <= 1 with 2..127 values,
 * matching `big`'s last axis, and `big` has rank >= 5.
 */
export function needsRank2View(big: number[], vec: number[]): boolean {
  const n = vec.length === 0 ? 1 : vec[0]!;
  return vec.length <= 1 && big.length >= 5 && n > 1 && n < SHARED_MAX && big[big.length - 1] === n;
}

let registered = false;

export function registerWebgpuBinaryFix(): string[] {
  if (registered) return BINARY_KERNELS;
  const reshape = getKernel('Reshape', 'webgpu');
  if (!reshape) return [];
  for (const name of BINARY_KERNELS) {
    const stock = getKernel(name, 'webgpu');
    if (!stock) continue;
    const stockFn: KernelFunc = stock.kernelFunc;
    unregisterKernel(name, 'webgpu');
    registerKernel({
      ...stock,
      kernelFunc: (args) => {
        const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
        const bigA = needsRank2View(a.shape, b.shape);
        if (!bigA && !needsRank2View(b.shape, a.shape)) return stockFn(args);
        const backend = args.backend as KernelBackend;
        const big = bigA ? a : b;
        const c = big.shape[big.shape.length - 1]!;
        const view = reshape.kernelFunc({ inputs: { x: big }, backend, attrs: { shape: [util.sizeFromShape(big.shape) / c, c] } }) as TensorInfo;
        let out: TensorInfo | undefined;
        try {
          out = stockFn({ ...args, inputs: bigA ? { a: view, b } : { a, b: view } }) as TensorInfo;
          return reshape.kernelFunc({ inputs: { x: out }, backend, attrs: { shape: big.shape } }) as TensorInfo;
        } finally {
          backend.disposeData(view.dataId);
          if (out) backend.disposeData(out.dataId);
        }
      },
    });
  }
  registered = true;
  return BINARY_KERNELS;
}
