/**
 * One MoCo-v2 / DisCo training step:
 *   1. key encoder <- momentum update from the query encoder;
 *   2. k = key(im_k) (no gradient, shuffled BatchNorm groups);
 *   3. loss = InfoNCE(q = query(im_q), k, queue) / T
 *            [+ DisCo: MSE(teacher(im_q), q) + MSE(teacher(im_k), query(im_k)), disco/distill.ts];
 *   4. optimiser step on the query encoder and head, with L2 weight decay on kernels (the trainer);
 *   5. enqueue k (the oldest keys drop out).
 * With infoNCE off (DisCo's MSE-only option) steps 1, 2 and 5 are skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../../engine/tensorReads';
import type { Rng } from '../../transforms/rng';
import { embed, type ContrastiveNet } from './contrastiveNet';
import { infoNCE } from './infoNCE';
import { momentumUpdate } from './momentum';
import type { NegativeQueue } from './queue';
import { shuffledKeyEmbed } from './shuffleBN';
import { distillationLoss, type TeacherTargets } from '../disco/distill';
import { addWeightDecay } from '../../training/optim';

export interface ContrastiveState {
  query: ContrastiveNet;
  key: ContrastiveNet;
  queue: NegativeQueue;
  optimizer: tf.Optimizer;
  /** Trainable variables of query encoder + head, in the same order as keyVars. */
  queryVars: tf.Variable[];
  keyVars: tf.Variable[];
}

export interface StepOptions {
  temperature: number;
  keyMomentum: number;
  infoNCE: boolean;
  shuffleGroups: number;
  /** L2 weight decay on kernels (contrastiveStep; in runs the trainer adds it). */
  weightDecay: number;
  lr: number;
}

/** The frozen teacher's embeddings of both views (DisCo). Owned by the caller. */
export type { TeacherTargets };

export interface StepLosses {
  loss: number;
  infoNCE?: number;
  distill?: number;
}

/**
 * One MoCo-v2 / DisCo step's losses and the query network's gradients: the key encoder first
 * follows the query by momentum and embeds the keys (shuffled BN), the loss is InfoNCE against
 * the queue plus, for DisCo, the distillation MSE; the new keys join the queue afterwards. The
 * caller (the trainer) adds weight decay and applies the gradients.
 */
export async function contrastiveGradients(s: ContrastiveState, imQ: tf.Tensor4D, imK: tf.Tensor4D, o: StepOptions, rng: Rng, teacher?: TeacherTargets): Promise<StepLosses & { grads: tf.NamedTensorMap }> {
  if (!o.infoNCE && !teacher) throw new Error('a step with the InfoNCE term off needs a teacher (DisCo MSE-only)');
  let k: tf.Tensor2D | undefined;
  if (o.infoNCE) {
    momentumUpdate(s.keyVars, s.queryVars, o.keyMomentum);
    k = shuffledKeyEmbed(s.key, imK, o.shuffleGroups, rng);
  }
  const kept: { nce?: tf.Scalar; mse?: tf.Scalar } = {};
  const { value, grads } = tf.variableGrads(() => {
    const q = embed(s.query, imQ, true);
    let loss: tf.Scalar = tf.scalar(0);
    if (k) {
      const nce = tf.keep(infoNCE(q, k, s.queue.keys, o.temperature));
      kept.nce = nce;
      loss = tf.add(loss, nce);
    }
    if (teacher) {
      const qk = embed(s.query, imK, true);
      const mse = tf.keep(distillationLoss(teacher, q, qk));
      kept.mse = mse;
      loss = tf.add(loss, mse);
    }
    return loss;
  }, s.queryVars);
  if (k) {
    s.queue.enqueue(k);
    k.dispose();
  }
  try {
    const [loss, nce, mse] = await readScalars(value, kept.nce, kept.mse);
    const out: StepLosses & { grads: tf.NamedTensorMap } = { loss: loss!, grads };
    if (nce !== undefined) out.infoNCE = nce;
    if (mse !== undefined) out.distill = mse;
    return out;
  } finally {
    tf.dispose([value, kept.nce, kept.mse].filter((t) => t !== undefined) as tf.Tensor[]);
  }
}

/** contrastiveGradients applied with the state's optimiser and L2 weight decay on kernels (as the trainer does). */
export async function contrastiveStep(s: ContrastiveState, imQ: tf.Tensor4D, imK: tf.Tensor4D, o: StepOptions, rng: Rng, teacher?: TeacherTargets): Promise<StepLosses> {
  const { grads, ...losses } = await contrastiveGradients(s, imQ, imK, o, rng, teacher);
  addWeightDecay(grads, s.queryVars.filter((v) => /kernel/.test(v.name)), o.weightDecay);
  s.optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return losses;
}
