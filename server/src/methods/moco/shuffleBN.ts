/**
 * Single-device stand-in for MoCo's shuffling BatchNorm: the reference computes keys on a batch
 * shuffled across GPUs so that a query and its key never share BatchNorm statistics (otherwise
 * the model can "cheat" through them). Here the key encoder sees the batch in a random order,
 * split into `groups` sub-batches that each get their own statistics, and the keys are put back
 * in order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../transforms/rng';
import { embed, type ContrastiveNet } from './contrastiveNet';

export function shuffledKeyEmbed(net: ContrastiveNet, x: tf.Tensor4D, groups: number, rng: Rng): tf.Tensor2D {
  const b = x.shape[0];
  const g = Math.max(1, Math.min(groups, Math.floor(b / 2)));
  if (g === 1) return embed(net, x, true);
  const perm = rng.shuffle(Array.from({ length: b }, (_, i) => i));
  const inverse = new Array<number>(b);
  perm.forEach((p, i) => (inverse[p] = i));
  return tf.tidy(() => {
    const shuffled = tf.gather(x, tf.tensor1d(perm, 'int32'));
    const sizes = Array.from({ length: g }, (_, i) => Math.floor(b / g) + (i < b % g ? 1 : 0));
    const parts = tf.split(shuffled, sizes, 0).map((p) => embed(net, p as tf.Tensor4D, true));
    return tf.gather(tf.concat(parts, 0), tf.tensor1d(inverse, 'int32')) as tf.Tensor2D;
  });
}
