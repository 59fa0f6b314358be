/**
 * Convolutional 2D U-Net for `method: segment2d`: the 3D U-Net (unet3d.ts: instance norm, leaky
 * ReLU, strided convolutions down, transposed convolutions up, deep supervision) run on depth-1
 * inputs with kernels and strides of 1 along depth, as nnU-Net's 2D configuration is the same
 * generic network. One network, so 2D and 3D share every building block and every fix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Unet3d, type Triple, type Unet3dConfig } from './unet3d';
import type { ParamStore } from './vit3dParams';

export interface Unet2dConfig {
  channels: number;
  classes: number;
  features: number;
  maxFeatures: number;
  /** Resolution stages (the first at full resolution, each later one halves the sides). */
  stages: number;
  block: 'plain' | 'residual';
  deepSupervision: boolean;
}

/** Stages that keep the bottleneck at least 4 pixels wide for an input of `size` (2..6). */
export function autoStages(size: number): number {
  let s = 1;
  while (s < 6 && size % 2 ** s === 0 && size / 2 ** s >= 4) s++;
  return Math.max(2, s);
}

export function unet3dConfigOf(c: Unet2dConfig): Unet3dConfig {
  const strides: Triple[] = Array.from({ length: c.stages }, (_, s) => (s === 0 ? [1, 1, 1] : [1, 2, 2]));
  const kernels: Triple[] = strides.map(() => [1, 3, 3]);
  return { channels: c.channels, classes: c.classes, features: c.features, maxFeatures: c.maxFeatures, strides, kernels, block: c.block, deepSupervision: c.deepSupervision };
}

export class Unet2d {
  readonly net: Unet3d;
  readonly config3d: Unet3dConfig;

  constructor(
    readonly config: Unet2dConfig,
    readonly ps: ParamStore,
  ) {
    this.config3d = unet3dConfigOf(config);
    this.net = new Unet3d(this.config3d, ps);
  }

  /** Side lengths must be multiples of this. */
  get divisor(): number {
    return 2 ** (this.config.stages - 1);
  }

  /** Strides as the deep-supervision loss reads them (depth never downsampled). */
  get strides(): Triple[] {
    return this.config3d.strides;
  }

  /** Logits [B, 1, H, W, K] for x [B, H, W, C]: full resolution first, then (with `all` and deep supervision) the lower decoder levels. */
  forward(x: tf.Tensor4D, all = false): tf.Tensor5D[] {
    return tf.tidy(() => this.net.forward(tf.expandDims(x, 1) as tf.Tensor5D, all));
  }

  /** Class probabilities [B, H, W, K]. */
  probabilities(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.squeeze(tf.softmax(this.net.apply(tf.expandDims(x, 1) as tf.Tensor5D)), [1]) as tf.Tensor4D);
  }
}
