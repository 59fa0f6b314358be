/**
 * Native versions of the memory-bound kernels that batch normalisation's training graph and the
 * optimisers are made of: Add/Sub/Multiply/RealDiv/SquaredDifference (same shape, per-channel
 * or scalar broadcasting), Sum/Mean over a contiguous block of axes, and FusedBatchNorm. Each is
 * one multi-threaded pass over the wasm heap; Square/Relu/Step/Sqrt/Rsqrt, comparisons,
 * LogicalAnd and Select (the gradients of relu6 and clipByValue) too. Small tensors and other broadcasts fall back to
 * the kernel registered before (a native call would cost more than it saves there).
 */
import {
  Add,
  backend_util,
  Equal,
  FusedBatchNorm,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  LogicalAnd,
  Mean,
  Multiply,
  RealDiv,
  Select,
  Relu,
  Rsqrt,
  Sqrt,
  Square,
  Step,
  SquaredDifference,
  Sub,
  Sum,
  util,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapF32 as f32, type WasmBackend } from '../kernels/wasmOps';
import type { NativeAddon } from './loadNative';

/** Below this many output elements the wasm kernel is as quick. */
export const NATIVE_MIN_ELEMENTS = 16384;

export interface Call {
  inputs: Record<string, TensorInfo | undefined>;
  attrs: NamedAttrMap;
  backend: WasmBackend;
}

export type Body = (addon: NativeAddon, c: Call) => TensorInfo | undefined;


/** Outputs made by the native call in progress, freed by `runNative` if the addon throws. */
const pending: TensorInfo[] = [];

/** Makes float32 outputs (all before taking views: growing the heap detaches earlier ones). */
export function outputs(b: WasmBackend, ...shapes: number[][]): TensorInfo[] {
  return shapes.map((s) => boolOrFloat(b, s, 'float32'));
}

function boolOrFloat(b: WasmBackend, shape: number[], dtype: 'float32' | 'bool'): TensorInfo {
  const t = b.makeOutput(shape, dtype);
  pending.push(t);
  return t;
}

const warned = new Set<string>();

/** Kernels that fell back to wasm at least once in this process (each was warned about once). */
export const nativeFallbacks = (): string[] => [...warned];

/**
 * Runs a native body; where the addon rejects a case (oneDNN has no implementation for some
 * geometry, say) it frees what the body allocated, warns once per kernel, and returns undefined
 * so the kernel it replaced runs instead. Errors that are not the addon's propagate.
 */
export function runNative(name: string, body: () => TensorInfo | undefined, backend: WasmBackend): TensorInfo | undefined {
  pending.length = 0;
  try {
    return body();
  } catch (e) {
    if ((e as { code?: string }).code !== 'MEDSTUDIO_NATIVE') throw e;
    for (const t of pending) backend.disposeData(t.dataId);
    if (!warned.has(name)) {
      warned.add(name);
      console.warn(`MedStudio native ${name} fell back to wasm: ${(e as Error).message}`);
    }
    return undefined;
  } finally {
    pending.length = 0;
  }
}
const size = (t: TensorInfo): number => util.sizeFromShape(t.shape);

/** True when t's only non-1 axis is the output's last one (a per-channel vector). */
function perChannel(t: TensorInfo, out: number[]): boolean {
  const c = out[out.length - 1]!;
  return size(t) === c && c > 1 && t.shape.length >= 1 && t.shape[t.shape.length - 1] === c;
}

/** Broadcast mode of the addon's `binary` (addon.cc), or undefined when it is not one of its cases. */
function broadcastMode(a: TensorInfo, b: TensorInfo, out: number[]): number | undefined {
  const n = util.sizeFromShape(out);
  if (size(a) === n && size(b) === n) return 0;
  if (size(a) === n && perChannel(b, out)) return 1;
  if (size(b) === n && perChannel(a, out)) return 2;
  if (size(a) === n && size(b) === 1) return 3;
  if (size(b) === n && size(a) === 1) return 4;
  return undefined;
}

/** The float32 operands of a broadcasting kernel past the native threshold, with the output shape and mode. */
function floatPair(inputs: Call['inputs']): { a: TensorInfo; b: TensorInfo; out: number[]; mode: number } | undefined {
  const { a, b } = inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  if (util.sizeFromShape(out) < NATIVE_MIN_ELEMENTS) return undefined;
  const mode = broadcastMode(a, b, out);
  return mode === undefined ? undefined : { a, b, out, mode };
}

function binary(op: number): Body {
  return (addon, { inputs, backend }) => {
    const pair = floatPair(inputs);
    if (!pair) return undefined;
    const { a, b, out, mode } = pair;
    const [y] = outputs(backend, out);
    addon.binary(op, mode, out[out.length - 1]!, f32(backend, a), f32(backend, b), f32(backend, y!));
    return y;
  };
}

/** Sum or mean over axes that form one contiguous block: x viewed as [outer, reduced, inner]. */
function reduce(mean: boolean): Body {
  return (addon, { inputs, attrs, backend }) => {
    const { x } = inputs;
    if (!x || x.dtype !== 'float32' || size(x) < NATIVE_MIN_ELEMENTS) return undefined;
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    if (axes.some((ax, i) => i > 0 && ax !== axes[i - 1]! + 1)) return undefined;
    const first = axes[0] ?? 0;
    const last = axes.length ? axes[axes.length - 1]! : -1;
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const reduced = util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = util.sizeFromShape(x.shape.slice(last + 1));
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const shape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
    const [y] = outputs(backend, shape);
    addon.reduceSum(f32(backend, x), f32(backend, y!), outer, reduced, inner, mean ? 1 / reduced : 1);
    return y;
  };
}

/** y = (x - mean) / sqrt(variance + eps) * scale + offset, folded per channel into x * m + a. */
const fusedBatchNorm: Body = (addon, { inputs, attrs, backend }) => {
  const { x, mean, variance, offset, scale } = inputs;
  if (!x || !mean || !variance || x.dtype !== 'float32' || size(x) < NATIVE_MIN_ELEMENTS) return undefined;
  const c = x.shape[x.shape.length - 1]!;
  const params = [mean, variance, offset, scale].filter((t): t is TensorInfo => t !== undefined);
  if (params.some((t) => t.dtype !== 'float32' || (size(t) !== c && size(t) !== 1) || (size(t) === c && !perChannel(t, x.shape)))) return undefined;
  const at = (t: TensorInfo | undefined, fallback: number): ((i: number) => number) => {
    if (!t) return () => fallback;
    const v = f32(backend, t).slice();
    return v.length === 1 ? () => v[0]! : (i) => v[i]!;
  };
  const m = at(mean, 0);
  const v = at(variance, 1);
  const o = at(offset, 0);
  const s = at(scale, 1);
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const mul = new Float32Array(c);
  const add = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    mul[i] = s(i) / Math.sqrt(v(i) + eps);
    add[i] = o(i) - m(i) * mul[i]!;
  }
  const [y] = outputs(backend, x.shape);
  addon.channelAffine(f32(backend, x), null, f32(backend, y!), mul, null, add);
  return y;
};

/** Any size: wasm's unary kernels cost a thread-pool wake-up per call even on tiny tensors. */
function unary(op: number): Body {
  return (addon, { inputs, attrs, backend }) => {
    const { x } = inputs;
    if (!x || x.dtype !== 'float32' || size(x) === 0) return undefined;
    const [y] = outputs(backend, x.shape);
    addon.unary(op, f32(backend, x), f32(backend, y!), (attrs.alpha as number | undefined) ?? 0);
    return y;
  };
}

/** Comparisons to bool (same shape, or a scalar on either side), as the gradients of clipping use. */
function compare(op: number): Body {
  return (addon, { inputs, backend }) => {
    const pair = floatPair(inputs);
    // The addon compares same-shape operands or against a scalar, not per channel.
    if (!pair || pair.mode === 1 || pair.mode === 2) return undefined;
    const { a, b, out, mode } = pair;
    const y = boolOrFloat(backend, out, 'bool');
    addon.compare(op, mode, f32(backend, a), f32(backend, b), backend.typedArrayFromHeap(y) as Uint8Array);
    return y;
  };
}

const u8 = (b: WasmBackend, t: TensorInfo): Uint8Array => b.typedArrayFromHeap(t) as Uint8Array;

const logicalAnd: Body = (addon, { inputs, backend }) => {
  const { a, b } = inputs;
  if (!a || !b || a.dtype !== 'bool' || b.dtype !== 'bool' || !util.arraysEqual(a.shape, b.shape) || size(a) < NATIVE_MIN_ELEMENTS) return undefined;
  const y = boolOrFloat(backend, a.shape, 'bool');
  addon.logicalAnd(u8(backend, a), u8(backend, b), u8(backend, y));
  return y;
};

const select: Body = (addon, { inputs, backend }) => {
  const { condition, t, e } = inputs;
  if (!condition || !t || !e || condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32') return undefined;
  if (!util.arraysEqual(condition.shape, t.shape) || !util.arraysEqual(t.shape, e.shape) || size(t) < NATIVE_MIN_ELEMENTS) return undefined;
  const [y] = outputs(backend, t.shape);
  addon.select(u8(backend, condition), f32(backend, t), f32(backend, e), f32(backend, y!));
  return y;
};

export const ELEMENTWISE_BODIES: [string, Body][] = [
  [Add, binary(0)],
  [Sub, binary(1)],
  [Multiply, binary(2)],
  [RealDiv, binary(3)],
  [SquaredDifference, binary(4)],
  [Sum, reduce(false)],
  [Mean, reduce(true)],
  [FusedBatchNorm, fusedBatchNorm],
  [Square, unary(0)],
  [Relu, unary(1)],
  [Step, unary(2)],
  [Sqrt, unary(3)],
  [Rsqrt, unary(4)],
  [GreaterEqual, compare(0)],
  [LessEqual, compare(1)],
  [Greater, compare(2)],
  [Less, compare(3)],
  [Equal, compare(4)],
  [LogicalAnd, logicalAnd],
  [Select, select],
];
