/**
 * The MAE decoder: visible tokens from the encoder are projected to the decoder width, mask
 * tokens fill the masked positions (scatter as a matMul with the transposed selection, which
 * differentiates everywhere), decoder position embeddings are added, a few transformer blocks
 * run, and a linear layer predicts the p^3 * C voxels of every patch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MaeDecoderConfig, Vit3dConfig } from './vit3dConfig';
import { validateMaeDecoderConfig } from './vit3dConfig';
import type { ParamStore } from './vit3dParams';
import type { Grid3 } from './vit3dPatches';
import { interpolatePosEmbed } from './vit3dPosEmbed';
import { block, declareBlock, declareDense, declareLayerNorm, dense, layerNorm } from './vit3dBlocks';

export class MaeDecoder3d {
  constructor(
    readonly config: MaeDecoderConfig,
    readonly encoder: Vit3dConfig,
    readonly ps: ParamStore,
    readonly baseGrid: Grid3,
    readonly prefix = 'decoder',
  ) {
    validateMaeDecoderConfig(config);
    const w = config.width;
    const p = encoder.patchSize;
    declareDense(ps, `${prefix}/embed`, encoder.embedDim, w);
    ps.normal(`${prefix}/maskToken`, [w]);
    ps.normal(`${prefix}/pos`, [baseGrid[0] * baseGrid[1] * baseGrid[2], w]);
    for (let i = 0; i < config.depth; i++) declareBlock(ps, `${prefix}/block${i}`, w, 4);
    declareLayerNorm(ps, `${prefix}/norm`, w);
    declareDense(ps, `${prefix}/pred`, w, p * p * p * encoder.channels);
  }

  /**
   * visible [B, Nvis, E] (encoder output), keep [B, Nvis, N] (the selection used to encode) ->
   * predicted voxels of every patch [B, N, p^3 * C].
   */
  decode(visible: tf.Tensor3D, keep: tf.Tensor3D, grid: Grid3): tf.Tensor3D {
    return tf.tidy(() => {
      const y = dense(this.ps, `${this.prefix}/embed`, visible) as tf.Tensor3D;
      const scattered = tf.matMul(keep, y, true, false); // [B, N, W], zeros at masked positions
      const isVisible = tf.expandDims(tf.sum(keep, 1), 2); // [B, N, 1]
      const filled = tf.add(scattered, tf.mul(tf.sub(1, isVisible), this.ps.get(`${this.prefix}/maskToken`)));
      let t = tf.add(filled, interpolatePosEmbed(this.ps.get(`${this.prefix}/pos`) as tf.Tensor2D, this.baseGrid, grid)) as tf.Tensor3D;
      for (let i = 0; i < this.config.depth; i++) t = block(this.ps, `${this.prefix}/block${i}`, t, this.config.heads);
      return dense(this.ps, `${this.prefix}/pred`, layerNorm(this.ps, `${this.prefix}/norm`, t)) as tf.Tensor3D;
    });
  }
}
