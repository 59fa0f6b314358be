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
  // SGD/momentum cache -lr in a scalar and have a setter; Adam reads its (protected)
  // learningRate field on every step and has none.
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.setLearningRate) o.setLearningRate(lr);
  else o.learningRate = lr;
}
