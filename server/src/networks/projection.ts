/**
 * The MoCo-v2 MLP projection head: Linear(d, hidden) -> ReLU -> Linear(hidden, dim). DisCo's
 * "Distilling Bottleneck" is the same head with an enlarged hidden layer (reference 2048).
 * The L2 normalisation of the embedding is applied by the caller (see l2normalize).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ProjectionOptions {
  inDim: number;
  hidden: number;
  outDim: number;
  prefix?: string;
  seed?: number;
}

export function buildProjectionHead(o: ProjectionOptions): tfl.LayersModel {
  const p = o.prefix ?? '';
  const seed = o.seed ?? 1;
  const input = tfl.input({ shape: [o.inDim], name: `${p}feature` });
  const h = tfl.layers
    .dense({ units: o.hidden, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed }), name: `${p}proj_hidden` })
    .apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: o.outDim, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }), name: `${p}proj_out` })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: `${p}projection` });
}

/** Rows scaled to unit L2 norm (eps keeps an all-zero row finite). */
export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D);
}
