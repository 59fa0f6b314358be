/**
 * One MoCo-v2 / DisCo training step:
 *   1. key encoder <- momentum update from the query encoder;
 *   2. k = key(im_k) (no gradient, shuffled BatchNorm groups);
 *   3. loss = InfoNCE(q = query(im_q), k, queue) / T
 *            [+ DisCo: MSE(teacher(im_q), q) + MSE(teacher(im_k), query(im_k)), disco/distill.ts];
 *   4. optimiser step on the query encoder and head; decoupled weight decay on kernels;
 *   5. enqueue k (the oldest keys drop out).
 * With infoNCE off (DisCo's MSE-only option) steps 1, 2 and 5 are skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../transforms/rng';
import { embed, type ContrastiveNet } from './contrastiveNet';
import { infoNCE } from './infoNCE';
import { momentumUpdate } from './momentum';
import type { NegativeQueue } from './queue';
import { shuffledKeyEmbed } from './shuffleBN';
import { distillationLoss, type TeacherTargets } from '../disco/distill';

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
  /** Decoupled weight decay per step: w <- w * (1 - lr * weightDecay), kernels only. */
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

export function contrastiveStep(s: ContrastiveState, imQ: tf.Tensor4D, imK: tf.Tensor4D, o: StepOptions, rng: Rng, teacher?: TeacherTargets): StepLosses {
  if (!o.infoNCE && !teacher) throw new Error('a step with the InfoNCE term off needs a teacher (DisCo MSE-only)');
  let k: tf.Tensor2D | undefined;
  if (o.infoNCE) {
    momentumUpdate(s.keyVars, s.queryVars, o.keyMomentum);
    k = shuffledKeyEmbed(s.key, imK, o.shuffleGroups, rng);
  }
  const kept: { nce?: tf.Scalar; mse?: tf.Scalar } = {};
  const cost = s.optimizer.minimize(
    () => {
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
    },
    true,
    s.queryVars,
  );
  if (o.weightDecay > 0) applyWeightDecay(s.queryVars, o.lr * o.weightDecay);
  if (k) {
    s.queue.enqueue(k);
    k.dispose();
  }
  const out: StepLosses = { loss: cost!.dataSync()[0]! };
  cost!.dispose();
  if (kept.nce) out.infoNCE = kept.nce.dataSync()[0]!;
  if (kept.mse) out.distill = kept.mse.dataSync()[0]!;
  tf.dispose([kept.nce, kept.mse].filter((t): t is tf.Scalar => t !== undefined));
  return out;
}

/** Decoupled weight decay on convolution/dense kernels (not on biases or BatchNorm). */
function applyWeightDecay(vars: readonly tf.Variable[], factor: number): void {
  tf.tidy(() => {
    for (const v of vars) if (/kernel/.test(v.name)) v.assign(tf.mul(v, 1 - factor));
  });
}
