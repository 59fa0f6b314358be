/**
 * UNETR-style 3D segmentation network: the ViT encoder's tokens, reshaped to the patch grid,
 * feed a convolutional decoder that doubles the resolution log2(patch) times. At each level the
 * upsampled decoder features are concatenated with a skip connection — an intermediate
 * transformer layer upsampled by transposed convolutions to that level (as UNETR does with
 * z3/z6/z9), or, at full resolution, a convolution of the input volume — and merged.
 *
 * CPU scaling (MedStudio's choice): one 3x3x3 convolution per level below full resolution; at
 * full resolution a 3x3x3 convolution of the 1-channel input and 1x1x1 convolutions only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Vit3dConfig } from './vit3dConfig';
import { Vit3dEncoder } from './vit3d';
import type { ParamStore } from './vit3dParams';
import { conv3d, declareConv3d, declarePointwise, declareUpsample, pointwise, tokensToVolume, upsample } from './unetr3dOps';

export interface Unetr3dConfig {
  encoder: Vit3dConfig;
  /** Feature width at full resolution (doubles per level down). */
  width: number;
  classes: number;
}

/** Encoder blocks whose outputs are the skip connections, shallow to deep (UNETR: 3, 6, 9 of 12). */
export function skipLayers(depth: number, levels: number): number[] {
  return Array.from({ length: levels - 1 }, (_, s) => Math.max(0, Math.round((depth * (s + 1)) / levels) - 1));
}

export class Unetr3d {
  readonly encoder: Vit3dEncoder;
  /** Upsampling levels = log2(patch size). */
  readonly levels: number;
  readonly skips: number[];

  constructor(
    readonly config: Unetr3dConfig,
    readonly ps: ParamStore,
  ) {
    const p = config.encoder.patchSize;
    this.levels = Math.log2(p);
    if (!Number.isInteger(this.levels) || this.levels < 1) throw new Error(`UNETR needs a power-of-two patch size, got ${p}`);
    this.encoder = new Vit3dEncoder(config.encoder, ps);
    this.skips = skipLayers(config.encoder.depth, this.levels);
    const e = config.encoder.embedDim;
    const F = config.width;
    const ch = (j: number) => F * 2 ** (this.levels - j); // channels at level j (0 = token grid)
    declarePointwise(ps, 'unetr/bottleneck', e, ch(0));
    for (let j = 1; j < this.levels; j++) {
      // skip from the transformer: j transposed convolutions up to level j
      for (let u = 0; u < j; u++) declareUpsample(ps, `unetr/skip${j}/up${u}`, u === 0 ? e : ch(j), ch(j));
      declareUpsample(ps, `unetr/dec${j}/up`, ch(j - 1), ch(j));
      // conv(concat(up, skip)) as convUp(up) + convSkip(skip): the same function, no concat
      // (channel concat/slice is slow on wasm).
      declareConv3d(ps, `unetr/dec${j}/convUp`, 3, ch(j), ch(j));
      declareConv3d(ps, `unetr/dec${j}/convSkip`, 3, ch(j), ch(j), false);
    }
    declareConv3d(ps, 'unetr/input', 3, config.encoder.channels, F);
    declareUpsample(ps, `unetr/dec${this.levels}/up`, ch(this.levels - 1), F);
    declarePointwise(ps, `unetr/dec${this.levels}/mergeUp`, F, F);
    declarePointwise(ps, `unetr/dec${this.levels}/mergeInput`, F, F, false);
    declarePointwise(ps, 'unetr/head', F, config.classes);
  }

  /** Logits [B, D, H, W, classes] for x [B, D, H, W, C] (sides multiples of the patch size). */
  apply(x: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const ps = this.ps;
      const r = this.encoder.encode(x, { hiddenAt: this.skips });
      let y = tf.relu(pointwise(ps, 'unetr/bottleneck', tokensToVolume(r.tokens, r.grid))) as tf.Tensor5D;
      for (let j = 1; j < this.levels; j++) {
        // deepest skip at the coarsest level
        let s = tokensToVolume(r.hidden[this.levels - 1 - j]!, r.grid);
        for (let u = 0; u < j; u++) s = tf.relu(upsample(ps, `unetr/skip${j}/up${u}`, s)) as tf.Tensor5D;
        const up = tf.relu(upsample(ps, `unetr/dec${j}/up`, y)) as tf.Tensor5D;
        y = tf.relu(tf.add(conv3d(ps, `unetr/dec${j}/convUp`, up), conv3d(ps, `unetr/dec${j}/convSkip`, s))) as tf.Tensor5D;
      }
      const L = this.levels;
      const inputFeatures = tf.relu(conv3d(ps, 'unetr/input', x)) as tf.Tensor5D;
      const up = tf.relu(upsample(ps, `unetr/dec${L}/up`, y)) as tf.Tensor5D;
      y = tf.relu(tf.add(pointwise(ps, `unetr/dec${L}/mergeUp`, up), pointwise(ps, `unetr/dec${L}/mergeInput`, inputFeatures))) as tf.Tensor5D;
      return pointwise(ps, 'unetr/head', y);
    });
  }
}
