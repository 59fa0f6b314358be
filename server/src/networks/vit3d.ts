/**
 * A 3D Vision Transformer encoder (GL-MAE / UNETR backbone): 3D patch embedding (patchify +
 * one matMul, the same as a stride-p conv3d but fast on wasm), learned position embeddings
 * interpolated trilinearly for other grids, pre-LN transformer blocks, final layer norm.
 * MAE-style token selection: with `keep`, only the kept (visible) tokens enter the blocks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../engine/registerGradients';
import { type Vit3dConfig, gridOf, validateVit3dConfig } from './vit3dConfig';
import type { ParamStore } from './vit3dParams';
import { type Grid3, patchGrid, patchify } from './vit3dPatches';
import { interpolatePosEmbed } from './vit3dPosEmbed';
import { block, declareBlock, declareDense, declareLayerNorm, dense, layerNorm } from './vit3dBlocks';

export interface EncodeOptions {
  /** [B, Nvis, N] one-hot rows selecting the tokens the encoder sees (MAE masking). */
  keep?: tf.Tensor3D;
  /** Block indices (0-based) whose outputs are returned too (UNETR skip connections). */
  hiddenAt?: number[];
}

export interface EncodeResult {
  /** Final tokens after the last layer norm: [B, N or Nvis, E]. */
  tokens: tf.Tensor3D;
  /** Outputs of the blocks listed in hiddenAt, in that order. */
  hidden: tf.Tensor3D[];
  grid: Grid3;
}

export class Vit3dEncoder {
  readonly baseGrid: Grid3;

  /** Declares the encoder's parameters in `ps` under `prefix`. */
  constructor(
    readonly config: Vit3dConfig,
    readonly ps: ParamStore,
    readonly prefix = 'encoder',
  ) {
    validateVit3dConfig(config);
    const g = gridOf(config.inputSize, config.patchSize);
    this.baseGrid = [g, g, g];
    const { patchSize: p, channels, embedDim: e } = config;
    declareDense(ps, `${prefix}/patch`, p * p * p * channels, e);
    ps.normal(`${prefix}/pos`, [g * g * g, e]);
    for (let i = 0; i < config.depth; i++) declareBlock(ps, `${prefix}/block${i}`, e, config.mlpRatio);
    declareLayerNorm(ps, `${prefix}/norm`, e);
  }

  /** Patch tokens plus (interpolated) position embeddings: [B, N, E]. */
  embed(x: tf.Tensor5D): tf.Tensor3D {
    return tf.tidy(() => {
      if (x.shape[4] !== this.config.channels) throw new Error(`the encoder takes ${this.config.channels} channel(s), the input has ${x.shape[4]}`);
      const grid = patchGrid(x.shape, this.config.patchSize);
      const tokens = dense(this.ps, `${this.prefix}/patch`, patchify(x, this.config.patchSize));
      const pos = interpolatePosEmbed(this.ps.get(`${this.prefix}/pos`) as tf.Tensor2D, this.baseGrid, grid);
      return tf.add(tokens, pos) as tf.Tensor3D;
    });
  }

  encode(x: tf.Tensor5D, opts: EncodeOptions = {}): EncodeResult {
    const grid = patchGrid(x.shape, this.config.patchSize);
    const hiddenAt = opts.hiddenAt ?? [];
    const bad = hiddenAt.filter((i) => !(Number.isInteger(i) && i >= 0 && i < this.config.depth));
    if (bad.length) throw new Error(`hidden states asked for blocks ${bad.join(', ')}; the encoder has blocks 0..${this.config.depth - 1}`);
    // Returned from tidy (not tf.keep), so an enclosing tidy still owns every output.
    const out = tf.tidy(() => {
      const byBlock = new Map<number, tf.Tensor3D>();
      let t = this.embed(x);
      if (opts.keep) t = tf.matMul(opts.keep, t);
      for (let i = 0; i < this.config.depth; i++) {
        t = block(this.ps, `${this.prefix}/block${i}`, t, this.config.heads);
        if (hiddenAt.includes(i)) byBlock.set(i, t);
      }
      const tokens = layerNorm(this.ps, `${this.prefix}/norm`, t) as tf.Tensor3D;
      return { tokens, hidden: hiddenAt.map((i) => byBlock.get(i)!) };
    });
    return { tokens: out.tokens, hidden: out.hidden, grid };
  }

  /** Names of this encoder's parameters (for saving, EMA and loading into another store). */
  paramNames(): string[] {
    return this.ps.names().filter((n) => n.startsWith(`${this.prefix}/`));
  }
}

/** Mean over tokens: [B, N, E] -> [B, E] (the global embedding GL-MAE projects). */
export function meanToken(tokens: tf.Tensor3D): tf.Tensor2D {
  return tf.mean(tokens, 1) as tf.Tensor2D;
}
