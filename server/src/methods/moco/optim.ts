/** The optimiser an experiment asks for, and the cosine learning-rate schedule (per epoch, as MoCo-v2). */
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../../experiment/types';

export function makeOptimizer(t: Experiment['train']): tf.Optimizer {
  return t.optimizer === 'sgd' ? tf.train.momentum(t.lr, t.momentum) : tf.train.adam(t.lr);
}

export function cosineLr(base: number, epoch: number, epochs: number): number {
  return base * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  if (opt instanceof tf.SGDOptimizer) opt.setLearningRate(lr);
  // Adam reads its (protected) learningRate field on every step; there is no setter.
  else (opt as unknown as { learningRate: number }).learningRate = lr;
}
