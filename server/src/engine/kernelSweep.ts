/**
 * Randomized differential tests of the heavy kernels (the native ones on the wasm backend)
 * against the `cpu` backend over the whole range of geometries training meets: spatial sizes 1
 * to 130 (primes and both ends drawn on purpose), batches 1 to 64, channels 1 to 67, every
 * stride, padding and dilation the networks use and more, 2D, 3D, depthwise, matrix products
 * with broadcast batches, pooling, batch norm, and element-wise ops on odd broadcast shapes.
 *
 * Each case has its own seed, so `medstudio doctor --gradcheck --sweep-seed S` replays exactly
 * the case that failed. Extents are drawn first, then halved at random until the case fits a
 * work budget (the `cpu` reference is pure JS), so any one extent can still reach its maximum.
 * The gradient-check harness (gradcheck.ts) compares outputs and every input gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from './batchNormTrain';
import { runGradcheck, type GradcheckResult } from './gradcheck';
import type { GradCase, GradFamily } from './gradcheckCases';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/batchNormTrain';

type Rand = () => number;

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127];
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** An extent in [lo, hi]: the ends and primes often, otherwise log-uniform. */
export function extent(rand: Rand, lo: number, hi: number): number {
  const r = rand();
  if (r < 0.12) return lo;
  if (r < 0.24) return hi;
  const primes = PRIMES.filter((p) => p >= lo && p <= hi);
  if (r < 0.5 && primes.length) return pick(rand, primes);
  return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))))));
}

/** Halves extents chosen at random (never below their minimum) until cost() fits the budget. */
function fit<K extends string>(rand: Rand, v: Record<K, number>, min: Record<K, number>, cost: () => number, budget: number): void {
  for (let guard = 0; cost() > budget && guard < 200; guard++) {
    const keys = (Object.keys(v) as K[]).filter((k) => v[k] > min[k]);
    if (!keys.length) return;
    const k = pick(rand, keys);
    v[k] = Math.max(min[k], Math.floor(v[k] / 2));
  }
}

const out = (n: number, k: number, s: number, d: number, same: boolean): number => (same ? Math.ceil(n / s) : Math.max(0, Math.floor((n - (k - 1) * d - 1) / s) + 1));
type Act = 'linear' | 'relu' | 'relu6';

/** Conv2D (plain or fused with bias and relu/relu6), any kernel, stride, padding, dilation. */
function conv2dSweep(budget: number): GradFamily {
  return {
    name: 'sweep conv2d',
    make(rand) {
      const square = rand() < 0.7;
      const kh = pick(rand, [1, 1, 3, 3, 3, 5, 7]);
      const kw = square ? kh : pick(rand, [1, 2, 3, 5]);
      const dilated = rand() < 0.2;
      const d = dilated ? pick(rand, [2, 3]) : 1;
      const s = dilated ? 1 : pick(rand, [1, 1, 2, 2, 3, 4]);
      const padKind = pick(rand, ['same', 'same', 'valid', 'explicit'] as const);
      const [eh, ew] = [(kh - 1) * d + 1, (kw - 1) * d + 1];
      const v = { n: extent(rand, 1, 64), h: extent(rand, 1, 130), w: extent(rand, 1, 130), ci: extent(rand, 1, 67), co: extent(rand, 1, 67) };
      const windowed = padKind !== 'same'; // explicit pads may be 0: the window must fit too
      const min = { n: 1, h: windowed ? eh : 1, w: windowed ? ew : 1, ci: 1, co: 1 };
      v.h = Math.max(v.h, min.h);
      v.w = Math.max(v.w, min.w);
      fit(rand, v, min, () => v.n * out(v.h, kh, s, d, true) * out(v.w, kw, s, d, true) * v.ci * v.co * kh * kw, budget);
      const pad: Pad =
        padKind === 'explicit' ? [[0, 0], [Math.floor(rand() * kh), Math.floor(rand() * kh)], [Math.floor(rand() * kw), Math.floor(rand() * kw)], [0, 0]] : padKind;
      const padName = typeof pad === 'string' ? pad : `pad${[pad[1], pad[2]].flat().join(',')}`;
      const fused = rand() < 0.4;
      return conv2dCase(`conv2d x${v.n}x${v.h}x${v.w}x${v.ci} k${kh}x${kw}->${v.co} s${s} d${d} ${padName}`, false, fused ? pick(rand, ACTS) : undefined, [v.n, v.h, v.w, v.ci], [kh, kw, v.ci, v.co], s, pad, d);
    },
  };
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const ACTS = ['linear', 'relu', 'relu6'] as const;

/**
 * A 2D or depthwise convolution case, plain or fused with a bias and an activation (tfjs-layers
 * runs the fused kernels). tfjs has no gradient of either with dilation > 1: forward only there.
 */
function conv2dCase(name: string, depthwise: boolean, act: Act | undefined, xShape: number[], fShape: number[], s: number, pad: Pad, d: number): GradCase {
  const outChannels = depthwise ? fShape[2]! * fShape[3]! : fShape[3]!;
  const [plainKernel, fusedKernel] = depthwise ? ['DepthwiseConv2dNative', 'FusedDepthwiseConv2D'] : ['Conv2D', 'FusedConv2D'];
  const grads = depthwise ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'] : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  return {
    name: `${act ? `fused(${act}) ` : ''}${name}`,
    kernels: [act ? fusedKernel : plainKernel, ...grads],
    shapes: act ? [xShape, fShape, [outChannels]] : [xShape, fShape],
    f: ([x, f, b]) => {
      const [x4, f4] = [x as tf.Tensor4D, f as tf.Tensor4D];
      if (act) {
        const args = { x: x4, filter: f4, strides: s, pad, dilations: d, bias: b, activation: act };
        return depthwise ? tf.fused.depthwiseConv2d(args as Parameters<typeof tf.fused.depthwiseConv2d>[0]) : tf.fused.conv2d(args);
      }
      return depthwise ? tf.depthwiseConv2d(x4, f4, s, pad as 'same' | 'valid', 'NHWC', d) : tf.conv2d(x4, f4, s, pad, 'NHWC', d);
    },
    gradients: d === 1,
  };
}

/** A window the same on every axis: size, dilation 2 (stride 1) or a stride, padding, extent. */
function cubicWindow(rand: Rand, sizes: number[], dilatedShare: number): { k: number; d: number; s: number; pad: 'same' | 'valid'; e: number } {
  const k = pick(rand, sizes);
  const d = rand() < dilatedShare ? 2 : 1;
  const s = d > 1 ? 1 : pick(rand, [1, 1, 2, 2, 3]);
  return { k, d, s, pad: pick(rand, ['same', 'same', 'valid'] as const), e: (k - 1) * d + 1 };
}

function depthwiseSweep(budget: number): GradFamily {
  return {
    name: 'sweep depthwise',
    make(rand) {
      const { k, d, s, pad, e } = cubicWindow(rand, [1, 3, 3, 3, 5], 0.2);
      const m = pick(rand, [1, 1, 1, 2]);
      const v = { n: extent(rand, 1, 64), h: extent(rand, 1, 130), c: extent(rand, 1, 67) };
      const min = { n: 1, h: pad === 'valid' ? e : 1, c: 1 };
      v.h = Math.max(v.h, min.h);
      fit(rand, v, min, () => v.n * out(v.h, k, s, d, true) ** 2 * v.c * m * k * k * 4, budget);
      const fused = rand() < 0.5;
      return conv2dCase(`depthwise x${v.n}x${v.h}x${v.h}x${v.c} k${k} m${m} s${s} d${d} ${pad}`, true, fused ? pick(rand, ACTS) : undefined, [v.n, v.h, v.h, v.c], [k, k, v.c, m], s, pad, d);
    },
  };
}

function conv3dSweep(budget: number): GradFamily {
  return {
    name: 'sweep conv3d',
    make(rand) {
      const { k, d, s, pad, e } = cubicWindow(rand, [1, 2, 3, 3, 3], 0.15);
      const v = { n: extent(rand, 1, 16), d: extent(rand, 1, 130), h: extent(rand, 1, 130), w: extent(rand, 1, 130), ci: extent(rand, 1, 67), co: extent(rand, 1, 67) };
      const lo = pad === 'valid' ? e : 1;
      const min = { n: 1, d: lo, h: lo, w: lo, ci: 1, co: 1 };
      for (const a of ['d', 'h', 'w'] as const) v[a] = Math.max(v[a], lo);
      fit(rand, v, min, () => v.n * out(v.d, k, s, d, true) * out(v.h, k, s, d, true) * out(v.w, k, s, d, true) * v.ci * v.co * k ** 3, budget);
      return {
        name: `conv3d x${v.n}x${v.d}x${v.h}x${v.w}x${v.ci} k${k}->${v.co} s${s} d${d} ${pad}`,
        kernels: ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'],
        shapes: [[v.n, v.d, v.h, v.w, v.ci], [k, k, k, v.ci, v.co]],
        f: ([x, f]) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, s, pad, 'NDHWC', d),
        gradients: d === 1,
      };
    },
  };
}

function matMulSweep(budget: number): GradFamily {
  return {
    name: 'sweep matMul',
    make(rand) {
      const [ta, tb] = [rand() < 0.5, rand() < 0.5];
      const broadcast = pick(rand, ['none', 'none', 'a1', 'b1'] as const);
      const v = { b: extent(rand, 1, 64), m: extent(rand, 1, 130), k: extent(rand, 1, 130), n: extent(rand, 1, 130) };
      fit(rand, v, { b: 1, m: 1, k: 1, n: 1 }, () => v.b * v.m * v.k * v.n, budget);
      const [ba, bb] = [broadcast === 'a1' ? 1 : v.b, broadcast === 'b1' ? 1 : v.b];
      const fused = rand() < 0.4;
      const act: Act = pick(rand, ['linear', 'relu'] as const);
      const aShape = ta ? [ba, v.k, v.m] : [ba, v.m, v.k];
      const bShape = tb ? [bb, v.n, v.k] : [bb, v.k, v.n];
      return {
        name: `${fused ? `fused(${act}) ` : ''}matMul [${aShape}]${ta ? 'ᵀ' : ''} . [${bShape}]${tb ? 'ᵀ' : ''}`,
        kernels: fused ? ['_FusedMatMul', 'BatchMatMul'] : ['BatchMatMul'],
        shapes: fused ? [aShape, bShape, [v.n]] : [aShape, bShape],
        f: ([x, y, bias]) =>
          fused
            ? tf.fused.matMul({ a: x as tf.Tensor3D, b: y as tf.Tensor3D, transposeA: ta, transposeB: tb, bias, activation: act })
            : tf.matMul(x!, y!, ta, tb),
        // tfjs-core's matMul gradients do not sum over a broadcast batch (their shape check
        // throws on cpu too): broadcast products are checked forward only.
        gradients: broadcast === 'none',
      };
    },
  };
}

function maxPoolSweep(budget: number): GradFamily {
  return {
    name: 'sweep maxPool',
    make(rand) {
      const three = rand() < 0.35;
      const k = pick(rand, three ? [1, 2, 3] : [1, 2, 3, 4]);
      const s = pick(rand, [1, 2, 2, 3]);
      const pad = pick(rand, ['same', 'valid'] as const);
      const v = { n: extent(rand, 1, 64), h: extent(rand, 1, 130), c: extent(rand, 1, 67) };
      const min = { n: 1, h: pad === 'valid' ? k : 1, c: 1 };
      v.h = Math.max(v.h, min.h);
      fit(rand, v, min, () => v.n * v.h ** (three ? 3 : 2) * v.c * 8, budget);
      const shape = three ? [v.n, v.h, v.h, v.h, v.c] : [v.n, v.h, v.h, v.c];
      return {
        name: `maxPool${three ? '3d' : ''} x${shape.join('x')} k${k} s${s} ${pad}`,
        kernels: three ? ['MaxPool3D', 'MaxPool3DGrad'] : ['MaxPool', 'MaxPoolGrad'],
        shapes: [shape],
        f: ([x]) => (three ? tf.maxPool3d(x as tf.Tensor5D, k, s, pad) : tf.maxPool(x as tf.Tensor4D, k, s, pad)),
        gradients: true,
      };
    },
  };
}

/** MedStudio's fused training batch norm, including its mean and variance outputs. */
function batchNormSweep(budget: number): GradFamily {
  return {
    name: 'sweep batchNormTrain',
    make(rand) {
      const v = { n: extent(rand, 1, 64), h: extent(rand, 1, 130), c: extent(rand, 1, 67) };
      fit(rand, v, { n: 1, h: 1, c: 1 }, () => v.n * v.h * v.h * v.c * 40, budget);
      return {
        name: `fused batchNorm (training) x${v.n}x${v.h}x${v.h}x${v.c}`,
        kernels: [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD],
        shapes: [[v.n, v.h, v.h, v.c], [v.c], [v.c]],
        f: ([x, g, b]) => {
          const r = batchNormTrain(x!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
          return tf.add(r.y, tf.sub(tf.mul(r.mean, 0.5), tf.mul(r.variance, 0.25)));
        },
        // One element per channel has zero variance: its gradient is 1/sqrt(eps)-sized noise.
        gradients: v.n * v.h * v.h > 1,
      };
    },
  };
}

/**
 * Binary ops both ways round against odd broadcast partners (per channel, [1,1,1,c], scalar,
 * [n,1,1,c], [1,h,w,1], [h,w,c], [w,1]), reductions over any axis set, unary ops, comparisons
 * and select: sizes around the native addon's 16K-element threshold and far past it.
 */
function elementwiseSweep(budget: number): GradFamily {
  return {
    name: 'sweep elementwise',
    make(rand) {
      const v = { n: extent(rand, 1, 64), h: extent(rand, 1, 130), w: extent(rand, 1, 130), c: extent(rand, 1, 67) };
      fit(rand, v, { n: 1, h: 1, w: 1, c: 1 }, () => v.n * v.h * v.w * v.c * 30, budget);
      const { n, h, w, c } = v;
      const partner = pick(rand, [[c], [1, 1, 1, c], [1], [n, 1, 1, c], [1, h, w, 1], [h, w, c], [w, 1], [n, h, w, c]] as const);
      const op = pick(rand, ['add', 'sub', 'mul', 'div', 'squaredDifference'] as const);
      const flip = rand() < 0.5;
      const axes = pick(rand, [[0], [3], [1, 2], [0, 1, 2], [0, 3], [0, 2], [1]] as const);
      const keep = rand() < 0.5;
      const reduce = pick(rand, ['sum', 'mean'] as const);
      return {
        name: `${op}(${flip ? `[${partner}], x` : `x, [${partner}]`}) + ${reduce}${JSON.stringify(axes)}${keep ? ' keepDims' : ''} x${n}x${h}x${w}x${c}`,
        kernels: ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Sum', 'Mean', 'Square', 'Relu', 'Sqrt', 'Rsqrt', 'GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select'],
        shapes: [[n, h, w, c], [...partner]],
        f: ([x, p]) => {
          // Divisors kept away from zero; operands of sqrt/rsqrt positive.
          const safe = (t: tf.Tensor): tf.Tensor => (op === 'div' ? tf.add(tf.abs(t), 0.5) : t);
          const y = flip ? tf[op](safe(p!), safe(x!)) : tf[op](x!, safe(p!));
          const pos = tf.add(tf.square(y), 0.5);
          const z = tf.add(tf.mul(tf.sqrt(pos), tf.rsqrt(tf.add(pos, 1))), tf.relu(y));
          const r = reduce === 'sum' ? tf.sum(z, [...axes], keep) : tf.mean(z, [...axes], keep);
          const clipped = tf.clipByValue(x!, -0.5, 0.8);
          return tf.add(tf.sum(r), tf.mul(clipped, y));
        },
        // tfjs-core's SquaredDifference gradient does not sum over broadcast axes (throws on cpu).
        gradients: op !== 'squaredDifference' || partner.length === 4 && partner.every((d, i) => d === [n, h, w, c][i]),
      };
    },
  };
}

/** The sweep's families; the budget caps multiply-adds (or element work) per case. */
export function sweepFamilies(budget = 1.5e6): GradFamily[] {
  return [conv2dSweep(budget), depthwiseSweep(budget), conv3dSweep(budget), matMulSweep(budget), maxPoolSweep(budget), batchNormSweep(budget), elementwiseSweep(budget)];
}

/**
 * Geometries that broke the native kernels before (issue 17): oneDNN 2.6's 1x1 stride-2
 * backward-weights on AVX-512 wrote past its scratchpad with 8 input channels. Always run.
 */
export function regressionCases(): GradCase[] {
  const projection = (n: number, h: number, ci: number, co: number): GradCase => ({
    name: `regression: 1x1 stride-2 projection x${n}x${h}x${h}x${ci}->${co}`,
    kernels: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    shapes: [[n, h, h, ci], [1, 1, ci, co]],
    f: ([x, f]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
    gradients: true,
  });
  return [projection(32, 64, 8, 16), projection(1, 32, 8, 16), projection(3, 32, 8, 16), projection(5, 28, 8, 16), projection(2, 48, 8, 16)];
}

export interface SweepOptions {
  backend?: string;
  /** First case's seed; case i uses seed + i (and replays alone with that seed). */
  seed?: number;
  cases?: number;
  budget?: number;
  /** Run the fixed regression geometries first (default true). */
  regressions?: boolean;
  onCase?: (name: string) => void;
}

/** The family a case seed draws from: part of the seed, so one seed replays one case. */
export const familyOf = (seed: number, families: GradFamily[]): GradFamily => families[seed % families.length]!;

export async function runKernelSweep(opts: SweepOptions = {}): Promise<GradcheckResult[]> {
  const seed = opts.seed ?? 17001;
  const families = sweepFamilies(opts.budget);
  const results: GradcheckResult[] = [];
  if (opts.regressions ?? true) {
    const fixed = regressionCases().map((c): GradFamily => ({ name: c.name, make: () => c }));
    results.push(...(await runGradcheck({ backend: opts.backend, families: fixed, repeats: 1, onCase: opts.onCase })));
  }
  for (let i = 0; i < (opts.cases ?? 40); i++) {
    const s = seed + i;
    const r = await runGradcheck({ backend: opts.backend, families: [familyOf(s, families)], seed: s, repeats: 1, onCase: opts.onCase });
    results.push(...r.map((x) => ({ ...x, seed: s, name: `seed ${s}: ${x.name}` })));
  }
  return results;
}
