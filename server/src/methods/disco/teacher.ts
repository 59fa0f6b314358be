/**
 * The frozen teacher. Its weights never change: it is not in the optimiser's variable list, and
 * although its BatchNorm runs in training mode (batch statistics, as in the reference), the
 * moving statistics that forward pass would update are put back afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embed, type ContrastiveNet } from '../moco/contrastiveNet';

export function freeze(net: ContrastiveNet): void {
  net.encoder.trainable = false;
  net.head.trainable = false;
}

/** Teacher embedding of x, [B, dim], unit norm; every teacher weight is unchanged afterwards. */
export function teacherEmbed(net: ContrastiveNet, x: tf.Tensor4D, batchStats: boolean): tf.Tensor2D {
  if (!batchStats) return embed(net, x, false);
  const stats = [...net.encoder.weights, ...net.head.weights].filter((w) => /moving_(mean|variance)/.test(w.originalName));
  const saved = stats.map((w) => tf.clone(w.read()));
  try {
    return embed(net, x, true);
  } finally {
    stats.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
  }
}
