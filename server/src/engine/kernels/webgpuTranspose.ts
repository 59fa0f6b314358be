/**
 * Transpose of any rank on webgpu. tfjs-backend-webgpu 4.22 handles rank <= 6 only ("GPU for
 * rank 8 is not yet supported"), while the 3D networks' patchify and upsampling permute 8 axes.
 * The canonical form (size-1 axes dropped, adjacent axes merged) brings those to rank 6; what
 * stays above 6 runs as a sequence of rank-4 moves of one axis each, all on the GPU.
 */
import { getKernel, registerKernel, Transpose, unregisterKernel, util, type KernelBackend, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { canonicalTranspose } from './transposeKernel';

const MAX_STOCK_RANK = 6;

interface Step {
  shape: number[];
  perm: number[];
}

/**
 * Rank-4 transposes, each moving one axis of the canonical form left into place, whose
 * composition is `perm` on `shape` (selection order: position i receives perm[i]).
 */
export function axisMoves(shape: number[], perm: number[]): Step[] {
  const cur = shape.map((_, i) => i);
  const dims = [...shape];
  const steps: Step[] = [];
  const prod = (a: number, b: number) => dims.slice(a, b).reduce((n, d) => n * d, 1);
  for (let i = 0; i < perm.length; i++) {
    const j = cur.indexOf(perm[i]!);
    if (j === i) continue;
    steps.push({ shape: [prod(0, i), prod(i, j), dims[j]!, prod(j + 1, dims.length)], perm: [0, 2, 1, 3] });
    const [a] = cur.splice(j, 1);
    cur.splice(i, 0, a!);
    const [d] = dims.splice(j, 1);
    dims.splice(i, 0, d!);
  }
  return steps;
}

let registered = false;

/** Registers the any-rank Transpose on webgpu over the stock one. Idempotent. */
export function registerWebgpuTranspose(): void {
  if (registered) return;
  const stock = getKernel(Transpose, 'webgpu');
  const reshapeKernel = getKernel('Reshape', 'webgpu');
  if (!stock || !reshapeKernel) return;
  const stockFn: KernelFunc = stock.kernelFunc;
  unregisterKernel(Transpose, 'webgpu');
  registerKernel({
    kernelName: Transpose,
    backendName: 'webgpu',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const { perm } = args.attrs as unknown as { perm: number[] };
      if (x.shape.length <= MAX_STOCK_RANK || util.sizeFromShape(x.shape) === 0) return stockFn(args);
      const backend = args.backend as KernelBackend;
      const made: TensorInfo[] = [];
      const run = (fn: KernelFunc, t: TensorInfo, attrs: object): TensorInfo => {
        const out = fn({ inputs: { x: t }, backend, attrs: attrs as never }) as TensorInfo;
        made.push(out);
        return out;
      };
      try {
        const c = canonicalTranspose(x.shape, perm);
        let t = run(reshapeKernel.kernelFunc, x, { shape: c.shape });
        const steps = c.shape.length <= MAX_STOCK_RANK ? [c] : axisMoves(c.shape, c.perm);
        for (const s of steps) t = run(stockFn, run(reshapeKernel.kernelFunc, t, { shape: s.shape }), { perm: s.perm });
        const out = run(reshapeKernel.kernelFunc, t, { shape: perm.map((a) => x.shape[a]!) });
        made.pop();
        return out;
      } finally {
        for (const t of made) backend.disposeData(t.dataId);
      }
    },
  });
  registered = true;
}
