/**
 * Matrix products with a transposed operand. wasm's BatchMatMul/_FusedMatMul run XNNPACK only
 * for plain A·B; with transposeA/transposeB they fall to a loop 10-20x slower (measured here:
 * 512^3 in 11.8 ms plain, 144 ms with transposeB, 248 ms with transposeA). Every dense-layer
 * gradient and every attention score (q·kᵀ) hits that path, so transpose explicitly (O(n²))
 * and multiply plainly (O(n³)).
 * Stock _FusedMatMul also adds the bias wrongly when there is more than one matrix in the batch
 * (off by whole units, found by gradcheck): there it runs as BatchMatMul + Add + activation.
 */
import { BatchMatMul, _FusedMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { withOps, type WasmOps } from './wasmOps';
import { guarded } from './weightAliasGuard';

function swapLast(ops: WasmOps, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = t.shape.map((_, i) => i);
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return ops.transpose(t, perm);
}

interface FusedAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/** bias and activation applied as separate kernels. */
function unfused(ops: WasmOps, product: TensorInfo, inputs: Record<string, TensorInfo>, attrs: FusedAttrs): TensorInfo {
  let y = inputs.bias ? ops.run('Add', { a: product, b: inputs.bias }) : product;
  switch (attrs.activation ?? 'linear') {
    case 'linear':
      break;
    case 'relu':
      y = ops.run('Relu', { x: y });
      break;
    case 'relu6':
      y = ops.run('Relu6', { x: y });
      break;
    case 'elu':
      y = ops.run('Elu', { x: y });
      break;
    case 'sigmoid':
      y = ops.run('Sigmoid', { x: y });
      break;
    case 'leakyrelu':
      y = ops.run('LeakyRelu', { x: y }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      break;
    case 'prelu':
      y = ops.run('Prelu', { x: y, alpha: inputs.preluActivationWeights! });
      break;
    default:
      throw new Error(`unknown fused activation ${attrs.activation}`);
  }
  return y;
}

function batchOf(t: TensorInfo): number {
  return t.shape.slice(0, -2).reduce((a, b) => a * b, 1);
}

function plainMatMul(stockFn: () => KernelFunc, name: string): KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const fn = guarded(name, stockFn());
      const attrs = args.attrs as unknown as FusedAttrs;
      const inputs = args.inputs as Record<string, TensorInfo>;
      const fusedBatch = name === _FusedMatMul && Math.max(batchOf(inputs.a!), batchOf(inputs.b!)) > 1;
      if (!attrs.transposeA && !attrs.transposeB && !fusedBatch) return fn(args);
      return withOps(args.backend, Object.values(inputs), (ops) => {
        const a = attrs.transposeA ? swapLast(ops, inputs.a!) : inputs.a!;
        const b = attrs.transposeB ? swapLast(ops, inputs.b!) : inputs.b!;
        if (fusedBatch) return unfused(ops, ops.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false }), inputs, attrs);
        const out = fn({ inputs: { ...inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false }, backend: args.backend });
        return ops.adopt(out as TensorInfo);
      });
    },
  };
}

export function matMulConfigs(stock: (name: string) => KernelFunc): KernelConfig[] {
  return [plainMatMul(() => stock(BatchMatMul), BatchMatMul), plainMatMul(() => stock(_FusedMatMul), _FusedMatMul)];
}
