/**
 * Model D's training step: MedStudio's GL-MAE ViT-3D (server/src/networks) reconstructing the
 * masked patches of a random volume (MSE on masked patches), Adam over every parameter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Vit3dEncoder } from '../../server/src/networks/vit3d';
import { MaeDecoder3d } from '../../server/src/networks/vit3dMae';
import { ParamStore } from '../../server/src/networks/vit3dParams';
import { patchify } from '../../server/src/networks/vit3dPatches';
import type { Trainer } from './models';

export interface VitSize {
  size: number;
  patch: number;
  embed: number;
  depth: number;
  heads: number;
  mlp: number;
  decWidth: number;
  decDepth: number;
  decHeads: number;
  maskRatio: number;
  batch: number;
}

/** [B, Nvis, N] one-hot rows choosing a fixed random set of visible patches per volume. */
function keepSelection(batch: number, n: number, visible: number): tf.Tensor3D {
  const rows: number[] = [];
  let s = 12345;
  const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let b = 0; b < batch; b++) {
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
    for (const i of order.slice(0, visible).sort((a, c) => a - c)) rows.push(i);
  }
  return tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(rows, 'int32'), n), [batch, visible, n]) as tf.Tensor3D);
}

export function buildVitMaeTrainer(v: VitSize): Trainer {
  const ps = new ParamStore(7);
  const encoder = new Vit3dEncoder({ inputSize: v.size, patchSize: v.patch, channels: 1, embedDim: v.embed, depth: v.depth, heads: v.heads, mlpRatio: v.mlp }, ps);
  const decoder = new MaeDecoder3d({ width: v.decWidth, depth: v.decDepth, heads: v.decHeads }, encoder.config, ps, encoder.baseGrid);
  const n = (v.size / v.patch) ** 3;
  const visible = Math.round(n * (1 - v.maskRatio));
  const x = tf.randomNormal([v.batch, v.size, v.size, v.size, 1], 0, 1, 'float32', 4) as tf.Tensor5D;
  const keep = keepSelection(v.batch, n, visible);
  const target = patchify(x, v.patch);
  const masked = tf.tidy(() => tf.expandDims(tf.sub(1, tf.sum(keep, 1)), 2)); // [B, N, 1]
  const optimizer = tf.train.adam(1e-3);
  const vars = ps.variables();
  return {
    step() {
      const loss = optimizer.minimize(
        () => {
          const { tokens, grid } = encoder.encode(x, { keep });
          const pred = decoder.decode(tokens, keep, grid);
          const err = tf.mul(tf.square(tf.sub(pred, target)), masked);
          return tf.div(tf.sum(err), tf.mul(tf.sum(masked), target.shape[2])) as tf.Scalar;
        },
        true,
        vars,
      )!;
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    },
    dispose() {
      ps.dispose();
      optimizer.dispose();
      tf.dispose([x, keep, target, masked]);
    },
  };
}
