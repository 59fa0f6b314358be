/**
 * A small toolkit for writing wasm kernels out of other wasm kernels (so the heavy lifting stays
 * in XNNPACK): call a kernel by name on raw TensorInfos, and free every intermediate when done.
 * This is how tfjs-backend-wasm composes its own kernels; nothing here touches the engine's
 * tensor bookkeeping, so nested calls are neither recorded on the gradient tape nor counted.
 */
import { fixedConv } from './convStockFixes';
import { guarded } from './weightAliasGuard';
import { getKernel, util, type DataId, type KernelBackend, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackend extends KernelBackend {
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  makeOutput(shape: number[], dtype: 'float32' | 'int32' | 'bool'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** A float32 tensor's data as a view of the wasm heap (take it after allocating outputs). */
export const heapF32 = (b: WasmBackend, t: TensorInfo): Float32Array => b.typedArrayFromHeap(t) as Float32Array;

/** Kernel functions replaced by the pack, kept so wrappers can still call the stock ones. */
const stock = new Map<string, KernelFunc>();

export function rememberStock(name: string, fn: KernelFunc): void {
  if (!stock.has(name)) stock.set(name, fn);
}

const FIXED_CONVS = new Set(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);

type Inputs = Record<string, TensorInfo> | TensorInfo[];

/**
 * One kernel invocation scope: every TensorInfo made through it is freed by `done`, except the
 * one returned. Kernels open a scope, compose, and `return ops.done(result)`.
 */
export class WasmOps {
  private readonly made: TensorInfo[] = [];
  constructor(readonly backend: WasmBackend) {}

  /** Runs the wasm kernel `name` (the stock one where the pack replaced it). */
  run(name: string, inputs: Inputs, attrs: object = {}): TensorInfo {
    const found = stock.get(name) ?? getKernel(name, 'wasm')?.kernelFunc;
    if (!found) throw new Error(`wasm kernel ${name} is not registered`);
    const fn = FIXED_CONVS.has(name) ? fixedConv(name, found) : guarded(name, found);
    const out = fn({ inputs: inputs as never, attrs: attrs as NamedAttrMap, backend: this.backend }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  /** Adopts a TensorInfo made by a helper kernel function so it is freed with the scope. */
  adopt(t: TensorInfo): TensorInfo {
    this.made.push(t);
    return t;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (util.arraysEqual(x.shape, shape)) return x;
    return this.run('Reshape', { x }, { shape });
  }

  /** Transpose that degrades to a free reshape when only size-1 axes move. */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    const moved = perm.filter((p) => x.shape[p] !== 1);
    const kept = perm.map((_, i) => i).filter((i) => x.shape[i] !== 1);
    if (util.arraysEqual(moved, kept)) return this.reshape(x, perm.map((p) => x.shape[p]!));
    return this.run('Transpose', { x }, { perm });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && util.arraysEqual(size, x.shape)) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** Pads where the amount is positive and crops where it is negative, per axis. */
  padOrCrop(x: TensorInfo, amounts: [number, number][]): TensorInfo {
    const begin = amounts.map(([a]) => Math.max(0, -a));
    const size = x.shape.map((d, i) => d - begin[i]! - Math.max(0, -amounts[i]![1]));
    const cropped = this.slice(x, begin, size);
    return this.pad(cropped, amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]));
  }

  zeros(shape: number[]): TensorInfo {
    return this.run('Fill', [], { shape, value: 0, dtype: 'float32' });
  }

  /** Frees every intermediate except `keep` and returns it. */
  done(keep: TensorInfo, inputs: TensorInfo[] = []): TensorInfo {
    let result = keep;
    // A result that aliases an input (a no-op reshape, say) needs its own reference.
    if (inputs.some((i) => i.dataId === keep.dataId) || !this.made.includes(keep)) {
      result = this.run('Identity', { x: keep });
    }
    for (const t of this.made) if (t !== result) this.backend.disposeData(t.dataId);
    this.made.length = 0;
    return result;
  }

  /** Frees everything made so far (on an error path). */
  abandon(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}

/** Runs `body` in a fresh scope, freeing intermediates even when it throws. */
export function withOps(backend: unknown, inputs: (TensorInfo | undefined)[], body: (ops: WasmOps) => TensorInfo): TensorInfo {
  const ops = new WasmOps(backend as WasmBackend);
  try {
    return ops.done(body(ops), inputs.filter((t): t is TensorInfo => t !== undefined));
  } catch (e) {
    ops.abandon();
    throw e;
  }
}
