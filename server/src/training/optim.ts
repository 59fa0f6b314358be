/**
 * What `train.*` means for every method: the optimiser (Adam, or SGD with momentum, optionally
 * Nesterov), L2 weight decay added to the gradients of the decayed variables (kernels, not biases
 * or normalisation), and the learning-rate schedule over a phase's epochs. Schedules are a table,
 * so a method (or a new setting) plugs one in by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../experiment/types';

export type Schedule = (base: number, epoch: number, epochs: number) => number;

export const SCHEDULES = {
  /** Cosine decay to 0 over the phase, set at each epoch start (MoCo-v2; MedStudio's default). */
  cosine: (base, epoch, epochs) => base * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs)),
  constant: (base) => base,
  /** Polynomial decay (1 - epoch / epochs)^0.9 (nnU-Net's). */
  poly: (base, epoch, epochs) => base * (1 - epoch / epochs) ** 0.9,
} satisfies Record<string, Schedule>;

export type ScheduleName = keyof typeof SCHEDULES;

export type TrainSettings = Pick<Experiment['train'], 'optimizer' | 'momentum' | 'weightDecay'> & { nesterov?: boolean; schedule?: ScheduleName };

export function scheduleOf(t: TrainSettings): Schedule {
  return SCHEDULES[t.schedule ?? 'cosine'];
}

/**
 * tfjs's MomentumOptimizer.dispose frees its accumulations and momentum but not the -lr scalar
 * it inherits from SGD (one tensor leaked per SGD optimiser): this one frees that too.
 */
class MomentumSgd extends tf.MomentumOptimizer {
  override dispose(): void {
    const c = (this as unknown as { c?: tf.Tensor }).c;
    super.dispose();
    if (c && !c.isDisposed) c.dispose();
  }
}

export function makeOptimizer(t: TrainSettings, lr: number): tf.Optimizer {
  return t.optimizer === 'sgd' ? new MomentumSgd(lr, t.momentum, t.nesterov ?? false) : tf.train.adam(lr);
}

/** One line for the log: what the run trains with. */
export function describeOptimizer(t: TrainSettings): string {
  const opt = t.optimizer === 'sgd' ? `SGD, momentum ${t.momentum}${t.nesterov ? ' (Nesterov)' : ''}` : 'Adam';
  return `${opt}, weight decay ${t.weightDecay}, ${t.schedule ?? 'cosine'} learning-rate schedule`;
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  // SGD/momentum cache -lr in a scalar and have a setter; Adam reads its (protected) field on every step.
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.setLearningRate) o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Adds weightDecay * w to the gradient of each decayed variable (the gradient of
 * weightDecay / 2 * ||w||^2), in place of the entries of `grads` (which it disposes).
 */
export function addWeightDecay(grads: tf.NamedTensorMap, decayed: readonly tf.Variable[], weightDecay: number): void {
  if (!weightDecay) return;
  for (const v of decayed) {
    const g = grads[v.name];
    if (!g) continue;
    grads[v.name] = tf.tidy(() => tf.add(g, tf.mul(v, weightDecay)));
    g.dispose();
  }
}

/** Layers-model variables that weight decay applies to: kernels (conv, dense, depthwise), not biases or BatchNorm. */
export function kernelVariables(weights: readonly { originalName: string; read(): tf.Tensor }[]): tf.Variable[] {
  return weights.filter((w) => /kernel$/.test(w.originalName)).map((w) => w.read() as tf.Variable);
}

/** Parameter-store variables that weight decay applies to: matrices and kernels (rank >= 2), not biases, norms or position embeddings. */
export function matrixVariables(entries: readonly [string, tf.Variable][]): tf.Variable[] {
  return entries.filter(([name, v]) => v.rank >= 2 && !/\/pos$/.test(name)).map(([, v]) => v);
}
