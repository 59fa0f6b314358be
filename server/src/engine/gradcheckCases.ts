/**
 * The op families gradcheck.ts runs: each draws a random configuration (shapes, strides,
 * paddings, dilations) and names it, so a failure says exactly which case broke.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from './batchNormTrain';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/batchNormTrain';

export interface GradCase {
  name: string;
  kernels: string[];
  shapes: number[][];
  f: (xs: tf.Tensor[]) => tf.Tensor;
  /** False where tfjs has no gradient for the configuration (checks the forward pass only). */
  gradients: boolean;
}

export interface GradFamily {
  name: string;
  make: (rand: () => number) => GradCase;
}

const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
type Pad2 = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

function pad2(rand: () => number, kh: number, kw: number): Pad2 {
  const p = pick(rand, ['same', 'valid', 'explicit'] as const);
  if (p !== 'explicit') return p;
  return [[0, 0], [int(rand, 0, kh - 1), int(rand, 0, kh - 1)], [int(rand, 0, kw - 1), int(rand, 0, kw - 1)], [0, 0]];
}
const padName = (p: Pad2): string => (typeof p === 'string' ? p : `pad${JSON.stringify([p[1], p[2]]).replace(/[[\]]/g, '')}`);

/** Input extent that leaves at least one output for the window. */
const fit = (rand: () => number, k: number, lo: number, hi: number): number => Math.max(k, int(rand, lo, hi));

const conv2d: GradFamily = {
  name: 'conv2d',
  make(rand) {
    const [kh, kw] = [int(rand, 1, 4), int(rand, 1, 4)];
    const s: [number, number] = [int(rand, 1, 3), int(rand, 1, 3)];
    const pad = pad2(rand, kh, kw);
    const [n, h, w, ci, co] = [int(rand, 1, 3), fit(rand, kh, 4, 11), fit(rand, kw, 4, 11), int(rand, 1, 5), int(rand, 1, 6)];
    return {
      name: `conv2d x${n}x${h}x${w}x${ci} k${kh}x${kw}->${co} s${s.join('x')} ${padName(pad)}`,
      kernels: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
      shapes: [[n, h, w, ci], [kh, kw, ci, co]],
      f: ([x, f]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad),
      gradients: true,
    };
  },
};

/** tfjs-layers' Conv2D runs fused conv + bias + activation. */
const fusedConv2d: GradFamily = {
  name: 'fusedConv2d',
  make(rand) {
    const k = pick(rand, [1, 3]);
    const s = pick(rand, [1, 2]);
    const [n, h, ci, co] = [int(rand, 1, 3), int(rand, 5, 10), int(rand, 1, 4), int(rand, 2, 6)];
    return {
      name: `fused conv2d+bias+relu x${n}x${h}x${h}x${ci} k${k}->${co} s${s} same`,
      kernels: ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
      shapes: [[n, h, h, ci], [k, k, ci, co], [co]],
      // Shift away from the ReLU kink so finite data never sits exactly on it.
      f: ([x, f, b]) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad: 'same', bias: b, activation: 'relu' }),
      gradients: true,
    };
  },
};

const depthwise: GradFamily = {
  name: 'depthwise',
  make(rand) {
    const k = int(rand, 1, 3);
    const strided = rand() < 0.5;
    const s = strided ? int(rand, 1, 3) : 1;
    const d = strided ? 1 : int(rand, 1, 2);
    const pad = pick(rand, ['same', 'valid'] as const);
    const [n, h, c, m] = [int(rand, 1, 2), fit(rand, (k - 1) * d + 1, 4, 10), int(rand, 1, 4), int(rand, 1, 3)];
    // tfjs-layers' DepthwiseConv2D runs the fused kernel (bias + activation).
    const fused = rand() < 0.5;
    const forward = fused ? 'FusedDepthwiseConv2D' : 'DepthwiseConv2dNative';
    return {
      name: `${fused ? 'fused ' : ''}depthwise x${n}x${h}x${h}x${c} k${k} m${m} s${s} d${d} ${pad}`,
      kernels: d === 1 ? [forward, 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'] : [forward],
      shapes: fused ? [[n, h, h, c], [k, k, c, m], [c * m]] : [[n, h, h, c], [k, k, c, m]],
      f: ([x, f, b]) =>
        fused
          ? tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad, dilations: d, bias: b })
          : tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad, 'NHWC', d),
      // tfjs has no depthwise gradient with dilation > 1.
      gradients: d === 1,
    };
  },
};

const conv3d: GradFamily = {
  name: 'conv3d',
  make(rand) {
    const k: [number, number, number] = [int(rand, 1, 3), int(rand, 1, 3), int(rand, 1, 3)];
    const dilated = rand() < 0.25;
    const s: [number, number, number] = dilated ? [1, 1, 1] : [int(rand, 1, 2), int(rand, 1, 2), int(rand, 1, 2)];
    const d: [number, number, number] = dilated ? [int(rand, 1, 2), int(rand, 1, 2), int(rand, 1, 2)] : [1, 1, 1];
    const pad = pick(rand, ['same', 'valid'] as const);
    const ext = (i: number): number => fit(rand, (k[i]! - 1) * d[i]! + 1, 3, 7);
    const [n, dd, h, w, ci, co] = [int(rand, 1, 2), ext(0), ext(1), ext(2), int(rand, 1, 3), int(rand, 1, 4)];
    return {
      name: `conv3d x${n}x${dd}x${h}x${w}x${ci} k${k.join('x')}->${co} s${s.join('x')} d${d.join('x')} ${pad}`,
      kernels: dilated ? ['Conv3D'] : ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'],
      shapes: [[n, dd, h, w, ci], [...k, ci, co]],
      f: ([x, f]) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, s, pad, 'NDHWC', d),
      // tfjs has no conv3d gradient with dilation > 1.
      gradients: !dilated,
    };
  },
};

const matMul: GradFamily = {
  name: 'matMul',
  make(rand) {
    const [ta, tb] = [rand() < 0.5, rand() < 0.5];
    const [b, m, k, n] = [int(rand, 1, 3), int(rand, 1, 9), int(rand, 1, 9), int(rand, 1, 9)];
    const fused = rand() < 0.4;
    const aShape = ta ? [b, k, m] : [b, m, k];
    const bShape = tb ? [b, n, k] : [b, k, n];
    return {
      name: `${fused ? 'fused ' : ''}matMul ${b}x${m}x${k}x${n} tA=${ta} tB=${tb}`,
      kernels: fused ? ['_FusedMatMul', 'BatchMatMul'] : ['BatchMatMul'],
      shapes: fused ? [aShape, bShape, [n]] : [aShape, bShape],
      f: ([x, y, bias]) =>
        fused
          ? tf.fused.matMul({ a: x as tf.Tensor3D, b: y as tf.Tensor3D, transposeA: ta, transposeB: tb, bias, activation: 'linear' })
          : tf.matMul(x!, y!, ta, tb),
      gradients: true,
    };
  },
};

const pool2d: GradFamily = {
  name: 'pool2d',
  make(rand) {
    const max = rand() < 0.5;
    const k = int(rand, 1, 3);
    const s = int(rand, 1, 3);
    const pad = pick(rand, ['same', 'valid'] as const);
    const [n, h, c] = [int(rand, 1, 2), fit(rand, k, 4, 10), int(rand, 1, 4)];
    return {
      name: `${max ? 'max' : 'avg'}Pool x${n}x${h}x${h}x${c} k${k} s${s} ${pad}`,
      kernels: max ? ['MaxPool', 'MaxPoolGrad'] : ['AvgPool', 'AvgPoolGrad'],
      shapes: [[n, h, h, c]],
      f: ([x]) => (max ? tf.maxPool(x as tf.Tensor4D, k, s, pad) : tf.avgPool(x as tf.Tensor4D, k, s, pad)),
      gradients: true,
    };
  },
};

const pool3d: GradFamily = {
  name: 'pool3d',
  make(rand) {
    const max = rand() < 0.5;
    const k = int(rand, 1, 2);
    const s = int(rand, 1, 2);
    const pad = pick(rand, ['same', 'valid'] as const);
    const [n, d, c] = [int(rand, 1, 2), fit(rand, k, 3, 6), int(rand, 1, 3)];
    return {
      name: `${max ? 'max' : 'avg'}Pool3d x${n}x${d}x${d}x${d}x${c} k${k} s${s} ${pad}`,
      kernels: max ? ['MaxPool3D', 'MaxPool3DGrad'] : ['AvgPool3D', 'AvgPool3DGrad'],
      shapes: [[n, d, d, d, c]],
      f: ([x]) => (max ? tf.maxPool3d(x as tf.Tensor5D, k, s, pad) : tf.avgPool3d(x as tf.Tensor5D, k, s, pad)),
      gradients: true,
    };
  },
};

/** Batch norm in training mode, as tfjs-layers computes it (moments, then batchNorm). */
const batchNorm: GradFamily = {
  name: 'batchNorm',
  make(rand) {
    const [n, h, c] = [int(rand, 2, 4), int(rand, 2, 5), int(rand, 1, 5)];
    return {
      name: `batchNorm (training) x${n}x${h}x${h}x${c}`,
      kernels: ['FusedBatchNorm', 'Mean', 'SquaredDifference', 'Sum', 'Rsqrt'],
      shapes: [[n, h, h, c], [c], [c]],
      f: ([x, g, b]) => {
        const { mean, variance } = tf.moments(x!, [0, 1, 2]);
        return tf.batchNorm(x!, mean, variance, b, g, 1e-3);
      },
      gradients: true,
    };
  },
};

/** The ViT block's ops: layer norm, attention softmax(q·kᵀ/√d)·v, GELU (erf form). */
const transformer: GradFamily = {
  name: 'transformer',
  make(rand) {
    const [b, t, heads] = [int(rand, 1, 2), int(rand, 2, 9), int(rand, 1, 3)];
    // Layer norm over fewer than ~4 features is ill-conditioned (its gradient ~ 1/|a-b|).
    const dh = Math.max(int(rand, 2, 6), Math.ceil(6 / heads));
    const e = heads * dh;
    return {
      name: `attention+layerNorm+gelu b${b} t${t} h${heads} d${dh}`,
      kernels: ['BatchMatMul', 'Softmax', 'Transpose', 'Reshape', 'Erf', 'Mean', 'Rsqrt'],
      shapes: [[b, t, e], [e, 3 * e], [e]],
      f: ([x, wqkv, gamma]) => {
        const { mean, variance } = tf.moments(x!, [-1], true);
        const xn = tf.mul(tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma!);
        const qkv = tf.reshape(tf.matMul(tf.reshape(xn, [b * t, e]), wqkv!), [b, t, 3, heads, dh]);
        const [q, k, v] = tf.split(tf.transpose(qkv, [2, 0, 3, 1, 4]), 3, 0).map((z) => tf.reshape(z, [b * heads, t, dh]));
        const att = tf.softmax(tf.div(tf.matMul(q!, k!, false, true), Math.sqrt(dh)));
        const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v!), [b, heads, t, dh]), [0, 2, 1, 3]), [b, t, e]);
        // GELU, erf form (as tfjs-layers' 'gelu').
        return tf.mul(tf.mul(o, 0.5), tf.add(1, tf.erf(tf.div(o, Math.SQRT2))));
      },
      gradients: true,
    };
  },
};

const crossEntropy: GradFamily = {
  name: 'crossEntropy',
  make(rand) {
    const [n, k] = [int(rand, 1, 8), int(rand, 2, 7)];
    return {
      name: `softmax cross-entropy ${n}x${k}`,
      kernels: ['Softmax', 'Max', 'Exp', 'Log', 'Sum'],
      shapes: [[n, k]],
      f: ([logits]) => {
        const labels = tf.oneHot(tf.range(0, n, 1, 'int32').arraySync().map((i) => i % k), k);
        return tf.losses.softmaxCrossEntropy(labels, logits!);
      },
      gradients: true,
    };
  },
};

/** Reductions over leading axes (bias and BatchNorm gradients) and Tile, on 2-4D tensors. */
const reduceTile: GradFamily = {
  name: 'reduceTile',
  make(rand) {
    const rank = int(rand, 2, 4); // tfjs has no Tile gradient above rank 4
    const shape = Array.from({ length: rank }, () => int(rand, 1, 5));
    const k = int(rand, 1, rank - 1);
    const reps = shape.map(() => int(rand, 1, 3));
    const mean = rand() < 0.5;
    return {
      name: `${mean ? 'mean' : 'sum'} axes 0..${k - 1} + tile x${shape.join('x')} reps ${reps.join('x')}`,
      kernels: [mean ? 'Mean' : 'Sum', 'Tile'],
      shapes: [shape],
      f: ([x]) => {
        const axes = Array.from({ length: k }, (_, i) => i);
        const r = mean ? tf.mean(x!, axes, true) : tf.sum(x!, axes, true);
        return tf.tile(tf.mul(x!, r), reps);
      },
      gradients: true,
    };
  },
};

/**
 * Identity and same-dtype Cast (the pack makes them share the input's buffer): copies taken
 * before and after the source is consumed, mixed with a real int cast, must stay exact.
 */
const aliases: GradFamily = {
  name: 'aliases',
  make(rand) {
    const shape = Array.from({ length: int(rand, 1, 4) }, () => int(rand, 1, 5));
    return {
      name: `clone + same-dtype cast x${shape.join('x')}`,
      kernels: ['Identity', 'Cast'],
      shapes: [shape],
      f: ([x]) => {
        const c = tf.clone(x!);
        const y = tf.mul(tf.cast(c, 'float32'), tf.add(x!, 1));
        const rounded = tf.cast(tf.cast(tf.mul(x!, 4), 'int32'), 'float32');
        return tf.add(tf.clone(y), tf.mul(rounded, c));
      },
      gradients: true,
    };
  },
};

/**
 * MedStudio's fused batch norm (engine/batchNormTrain.ts): on wasm its two kernels, on cpu the
 * tfjs composition. The mean and variance outputs feed the result too, so their gradient paths
 * are checked; sizes reach past the native addon's multi-threading threshold.
 */
const batchNormTrainFamily: GradFamily = {
  name: 'batchNormTrain',
  make(rand) {
    const big = rand() < 0.4;
    const [n, h, c] = big ? [int(rand, 2, 3), int(rand, 24, 32), int(rand, 8, 16)] : [int(rand, 2, 4), int(rand, 2, 5), int(rand, 1, 5)];
    return batchNormTrainCase([n, h, h, c]);
  },
};

/** The 3D U-Net's instance norm: the same op on one sample of a volume (rank 5). */
const batchNormTrain3d: GradFamily = {
  name: 'batchNormTrain3d',
  make(rand) {
    return batchNormTrainCase([1, int(rand, 2, 6), int(rand, 2, 6), int(rand, 2, 6), int(rand, 1, 5)]);
  },
};

function batchNormTrainCase(shape: number[]): GradCase {
  const c = shape[shape.length - 1]!;
  return {
    name: `fused batchNorm (training) x${shape.join('x')}`,
    kernels: [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD],
    shapes: [shape, [c], [c]],
    f: ([x, g, b]) => {
      const r = batchNormTrain(x!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      return tf.add(r.y, tf.sub(tf.mul(r.mean, 0.5), tf.mul(r.variance, 0.25)));
    },
    gradients: true,
  };
}

/**
 * Strided subsampling of integer label maps (deep supervision's coarse labels) and of masks: the
 * values must survive as integers (stock wasm returned int32 as float32 bit patterns).
 */
const stridedSliceInt: GradFamily = {
  name: 'stridedSliceInt',
  make(rand) {
    const shape = [int(rand, 1, 2), int(rand, 3, 8), int(rand, 3, 8), int(rand, 3, 8)];
    const strides = [1, int(rand, 1, 3), int(rand, 2, 3), int(rand, 1, 3)];
    const bool = rand() < 0.3;
    return {
      name: `stridedSlice ${bool ? 'bool' : 'int32'} x${shape.join('x')} strides ${strides.join('x')}`,
      kernels: ['StridedSlice'],
      shapes: [shape],
      f: ([x]) => {
        const labels = bool ? tf.greater(x!, 0) : tf.cast(tf.round(tf.mul(x!, 5)), 'int32');
        return tf.cast(tf.stridedSlice(labels, [0, 0, 0, 0], shape, strides), 'float32');
      },
      gradients: false,
    };
  },
};

/**
 * A 3D network's per-channel vector against a volume ([1, D, H, W, C] op [C], and [C] op it):
 * the shape webgpu's shared-memory binary program once got wrong (kernels/webgpuBinary.ts).
 */
const channelVector5d: GradFamily = {
  name: 'channelVector5d',
  make(rand) {
    const shape = [int(rand, 1, 2), int(rand, 2, 4), int(rand, 2, 4), int(rand, 2, 4), int(rand, 2, 9)];
    const c = shape[4]!;
    // (tfjs' Maximum gradient does not reduce a broadcast input on any backend: not checked here.)
    const op = pick(rand, ['add', 'sub', 'mul', 'div'] as const);
    const vectorFirst = rand() < 0.3;
    return {
      name: `${op} x${shape.join('x')} ${vectorFirst ? 'vector first' : 'by a channel vector'}`,
      kernels: ['Add', 'Sub', 'Multiply', 'RealDiv'],
      shapes: [shape, [c]],
      f: ([x, v]) => {
        // Divisors kept away from zero so the check measures the kernel, not the conditioning.
        const w = op === 'div' ? tf.add(tf.abs(v!), 0.5) : v!;
        const fn = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div }[op];
        return vectorFirst && op !== 'div' ? fn(w, x!) : fn(x!, w);
      },
      gradients: true,
    };
  },
};

/**
 * The memory-bound kernels the native addon takes over past 16K elements: every broadcast mode
 * of the binary ops, reductions over a contiguous block of axes, the unary ops and
 * FusedBatchNorm with given statistics.
 */
const elementwiseLarge: GradFamily = {
  name: 'elementwiseLarge',
  make(rand) {
    // At least 2x32x32x8 = 16384 elements: the native addon's threshold for these kernels.
    const [n, h, c] = [int(rand, 2, 3), int(rand, 32, 40), int(rand, 8, 12)];
    const axes = pick(rand, [[0, 1, 2], [1, 2], [3], [0]] as const);
    const channelShape = pick(rand, [[c], [1, 1, 1, c]] as const);
    return {
      name: `broadcast ops + ${JSON.stringify(axes)} reductions x${n}x${h}x${h}x${c}`,
      kernels: ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Sum', 'Mean', 'Square', 'Relu', 'Step', 'Sqrt', 'Rsqrt', 'FusedBatchNorm', 'GreaterEqual', 'LessEqual', 'Greater', 'Less', 'Equal', 'LogicalAnd', 'Select'],
      shapes: [[n, h, h, c], [...channelShape]],
      f: ([x, v]) => {
        const a = tf.mul(x!, v!); // per-channel b
        const b = tf.sub(v!, x!); // per-channel a
        const d = tf.div(tf.add(a, 2), tf.add(tf.square(b), 1)); // scalar b, same shape
        const e = tf.squaredDifference(d, tf.relu(tf.sub(1, x!))); // scalar a
        const pos = tf.add(tf.square(x!), 0.5);
        const r = tf.mul(tf.sqrt(pos), tf.rsqrt(tf.add(pos, 1)));
        const reduced = tf.add(tf.sum(e, [...axes], true), tf.mean(r, [...axes], true));
        const stats = tf.moments(x!, [0, 1, 2]);
        const bn = tf.batchNorm(x!, stats.mean, stats.variance, v!.reshape([c]), tf.add(v!.reshape([c]), 2), 1e-3);
        // clipByValue's gradient is GreaterEqual, LessEqual, LogicalAnd and Select.
        const clipped = tf.clipByValue(x!, -0.5, 0.8);
        // Greater, Less and Equal have no gradient: they run on a constant, and only what they
        // select or multiply is differentiated.
        const k = tf.randomUniform(x!.shape, -1, 1, 'float32', 5);
        const picked = tf.where(tf.greater(k, 0.3), x!, tf.mul(x!, 0.5));
        const flags = tf.mul(tf.add(tf.cast(tf.less(k, -0.2), 'float32'), tf.cast(tf.equal(tf.round(tf.mul(k, 2)), 0), 'float32')), x!);
        return tf.add(tf.add(tf.mul(reduced, d), bn), tf.add(tf.mul(clipped, picked), flags));
      },
      gradients: true,
    };
  },
};

/** Transposes of rank 5-8 (patchify, multi-head attention), size-1 axes included. */
const transposeHighRank: GradFamily = {
  name: 'transposeHighRank',
  make(rand) {
    const shape = Array.from({ length: int(rand, 5, 8) }, () => int(rand, 1, 4));
    const perm = shape.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = int(rand, 0, i);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return {
      name: `transpose x${shape.join('x')} perm ${perm.join(',')}`,
      kernels: ['Transpose'],
      // Element-wise work stays 1-D: stock wasm's binary ops are wrong at rank 7 and above.
      shapes: [[shape.reduce((a, b) => a * b, 1)]],
      f: ([x]) => {
        const t = (v: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(tf.reshape(v, shape), perm), [-1]);
        return tf.mul(t(x!), t(tf.square(x!)));
      },
      gradients: true,
    };
  },
};

export const gradcheckFamilies: GradFamily[] = [conv2d, fusedConv2d, depthwise, conv3d, matMul, pool2d, pool3d, batchNorm, reduceTile, transformer, crossEntropy, aliases, batchNormTrainFamily, batchNormTrain3d, channelVector5d, stridedSliceInt, elementwiseLarge, transposeHighRank];
