/**
 * Convolutional 3D U-Net (nnU-Net's "generic U-Net"): per stage two 3x3x3 convolutions, each
 * followed by instance normalisation and leaky ReLU (or a residual block of the same), the
 * first convolution of every stage after the first strided to downsample; the decoder upsamples
 * with transposed convolutions (kernel = stride), joins the skip connection and runs one stage
 * of convolutions; 1x1x1 heads give logits at full resolution and, with deep supervision, at
 * every decoder level above the bottleneck's.
 *
 * A 2D U-Net is the same network with depth-1 patches and strides/kernels of 1 along depth
 * (`kernels[s][0] = 1`), which nnU-Net's planner also produces for very anisotropic data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from '../engine/batchNormTrain';
import type { ParamStore } from './vit3dParams';
import { conv2dOfDepth1, declareUpsample, leakyRelu, upsampleBy } from './unet3dOps';

export type Triple = [number, number, number];

export interface Unet3dConfig {
  /** Input channels. */
  channels: number;
  classes: number;
  /** Features of the first stage; doubles per stage up to maxFeatures. */
  features: number;
  maxFeatures: number;
  /** Downsampling stride of each stage (stage 0 is [1, 1, 1]); length = number of stages. */
  strides: Triple[];
  /** Convolution kernel of each stage (3 or 1 per axis). */
  kernels: Triple[];
  block: 'plain' | 'residual';
  /** Extra logits at the decoder's lower levels, for the deep-supervision loss. */
  deepSupervision: boolean;
}

const EPS = 1e-5;
const SLOPE = 0.01;

export function stageFeatures(c: Unet3dConfig, s: number): number {
  return Math.min(c.features * 2 ** s, c.maxFeatures);
}

/** Total downsampling factor per axis: patch sides must be multiples of it. */
export function totalStride(strides: Triple[]): Triple {
  return strides.reduce<Triple>((a, s) => [a[0] * s[0], a[1] * s[1], a[2] * s[2]], [1, 1, 1]);
}

function declareConv(ps: ParamStore, name: string, k: Triple, cin: number, cout: number): void {
  const fanIn = k[0] * k[1] * k[2] * cin;
  // He-uniform: sqrt(6 / fanIn) (glorot with fanIn = fanOut = fanIn/2 ... gives sqrt(6/fanIn)).
  ps.glorot(`${name}/w`, [...k, cin, cout], fanIn / 2, fanIn / 2);
}

function declareNorm(ps: ParamStore, name: string, c: number): void {
  ps.ones(`${name}/g`, [c]);
  ps.zeros(`${name}/b`, [c]);
}

/**
 * Instance normalisation (spatial axes of each channel, with affine) of ONE sample: batch
 * normalisation of a batch of one, so that wasm runs the fused batch-norm kernels (one pass each
 * way) instead of a dozen elementwise ops and their gradients (profiled: those took longer than
 * the convolutions). Batches run sample by sample (Unet3d.forward) rather than split here.
 */
export function instanceNorm(ps: ParamStore, name: string, x: tf.Tensor5D): tf.Tensor5D {
  if (x.shape[0] !== 1) throw new Error(`instanceNorm takes one sample, got a batch of ${x.shape[0]}`);
  return batchNormTrain(x, ps.get(`${name}/g`) as tf.Tensor1D, ps.get(`${name}/b`) as tf.Tensor1D, EPS).y as tf.Tensor5D;
}

function conv(ps: ParamStore, name: string, x: tf.Tensor5D, stride: Triple = [1, 1, 1]): tf.Tensor5D {
  // No bias: instance norm follows every convolution and removes it.
  const w = ps.get(`${name}/w`) as tf.Tensor5D;
  // Depth 1 throughout (the 2D U-Net, unet2d.ts): conv2d computes the same, about 2x faster on wasm.
  if (x.shape[1] === 1 && w.shape[0] === 1 && stride[0] === 1) return conv2dOfDepth1(x, w, stride);
  return tf.conv3d(x, w, stride, 'same');
}

const lrelu = (x: tf.Tensor5D): tf.Tensor5D => leakyRelu(x, SLOPE);

export class Unet3d {
  readonly stages: number;

  constructor(
    readonly config: Unet3dConfig,
    readonly ps: ParamStore,
  ) {
    const c = config;
    this.stages = c.strides.length;
    if (this.stages < 2) throw new Error(`a U-Net needs at least 2 stages, got ${this.stages}`);
    if (c.kernels.length !== this.stages) throw new Error(`unet: ${c.kernels.length} kernels for ${this.stages} stages`);
    let cin = c.channels;
    for (let s = 0; s < this.stages; s++) {
      const f = stageFeatures(c, s);
      this.declareBlock(`unet/enc${s}`, c.kernels[s]!, cin, f, c.strides[s]!);
      cin = f;
    }
    for (let s = this.stages - 2; s >= 0; s--) {
      const f = stageFeatures(c, s);
      declareUpsample(ps, `unet/dec${s}/up`, stageFeatures(c, s + 1), f, c.strides[s + 1]!);
      // conv(concat(up, skip)) = convUp(up) + convSkip(skip): the same function without a
      // channel concatenation (slow on wasm), and its gradient splits for free.
      declareConv(ps, `unet/dec${s}/convSkip`, c.kernels[s]!, f, f);
      this.declareBlock(`unet/dec${s}`, c.kernels[s]!, f, f, [1, 1, 1]);
      if (s === 0 || c.deepSupervision) {
        ps.glorot(`unet/head${s}/w`, [f, c.classes]);
        ps.zeros(`unet/head${s}/b`, [c.classes]);
      }
    }
  }

  private declareBlock(name: string, k: Triple, cin: number, cout: number, stride: Triple): void {
    const ps = this.ps;
    declareConv(ps, `${name}/conv0`, k, cin, cout);
    declareNorm(ps, `${name}/norm0`, cout);
    declareConv(ps, `${name}/conv1`, k, cout, cout);
    declareNorm(ps, `${name}/norm1`, cout);
    if (this.config.block === 'residual' && (cin !== cout || stride.some((v) => v !== 1))) {
      declareConv(ps, `${name}/proj`, [1, 1, 1], cin, cout);
      declareNorm(ps, `${name}/projNorm`, cout);
    }
  }

  /**
   * conv-norm-lrelu twice (plain), or with the input added before the last activation
   * (residual; a strided 1x1x1 projection where the shape changes). `extra` is added to the
   * first convolution's output (the skip branch of a decoder stage).
   */
  private block(name: string, x: tf.Tensor5D, stride: Triple, extra?: tf.Tensor5D): tf.Tensor5D {
    const ps = this.ps;
    let h = conv(ps, `${name}/conv0`, x, stride);
    if (extra) h = tf.add(h, extra);
    h = lrelu(instanceNorm(ps, `${name}/norm0`, h));
    h = instanceNorm(ps, `${name}/norm1`, conv(ps, `${name}/conv1`, h));
    if (this.config.block === 'plain') return lrelu(h);
    const id = ps.has(`${name}/proj/w`) ? instanceNorm(ps, `${name}/projNorm`, conv(ps, `${name}/proj`, x, stride)) : x;
    return lrelu(tf.add(h, id));
  }

  private head(s: number, x: tf.Tensor5D): tf.Tensor5D {
    const [b, d, h, w, c] = x.shape;
    const wt = this.ps.get(`unet/head${s}/w`);
    const y = tf.add(tf.matMul(tf.reshape(x, [-1, c]), wt), this.ps.get(`unet/head${s}/b`));
    return tf.reshape(y, [b, d, h, w, this.config.classes]);
  }

  /**
   * Logits for x [B, D, H, W, C] (sides multiples of totalStride): full resolution first, then,
   * with deep supervision (and `all`), each lower decoder level's, finest to coarsest.
   */
  forward(x: tf.Tensor5D, all = false): tf.Tensor5D[] {
    return tf.tidy(() => {
      if (x.shape[0] === 1) return this.forwardOne(x, all);
      const per = tf.split(x, x.shape[0], 0).map((v) => this.forwardOne(v as tf.Tensor5D, all));
      return per[0]!.map((_, level) => tf.concat(per.map((o) => o[level]!), 0));
    });
  }

  private forwardOne(x: tf.Tensor5D, all: boolean): tf.Tensor5D[] {
    return tf.tidy(() => {
      const c = this.config;
      const skips: tf.Tensor5D[] = [];
      let h = x;
      for (let s = 0; s < this.stages; s++) {
        h = this.block(`unet/enc${s}`, h, c.strides[s]!);
        skips.push(h);
      }
      const outs: tf.Tensor5D[] = [];
      for (let s = this.stages - 2; s >= 0; s--) {
        const up = upsampleBy(this.ps, `unet/dec${s}/up`, h, c.strides[s + 1]!);
        const skipBranch = conv(this.ps, `unet/dec${s}/convSkip`, skips[s]!);
        h = this.block(`unet/dec${s}`, up, [1, 1, 1], skipBranch);
        if (s === 0 || (all && c.deepSupervision)) outs.unshift(this.head(s, h));
      }
      return outs;
    });
  }

  /** Full-resolution logits [B, D, H, W, classes]. */
  apply(x: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const outs = this.forward(x, false);
      return outs[0]!;
    });
  }
}
