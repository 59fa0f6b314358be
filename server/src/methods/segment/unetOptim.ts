/**
 * The U-Net's optimisers with the poly learning-rate schedule (nnU-Net):
 * lr(step) = lr0 * (1 - step / steps)^0.9. SGD with Nesterov momentum 0.99 by default, Adam
 * available. tfjs optimisers fix their rate at construction; these subclasses let the schedule
 * set it each step (checkpoints still see the parent classes' names and state).
 */
import * as tf from '@tensorflow/tfjs-core';

export function polyLr(lr0: number, step: number, steps: number, exponent = 0.9): number {
  return lr0 * Math.max(0, 1 - step / Math.max(1, steps)) ** exponent;
}

export interface ScheduledOptimizer {
  optimizer: tf.Optimizer;
  setLr(lr: number): void;
}

class ScheduledAdam extends tf.AdamOptimizer {
  setLr(lr: number): void {
    this.learningRate = lr;
  }
}

export function makeOptimizer(kind: 'sgd' | 'adam', lr: number): ScheduledOptimizer {
  if (kind === 'adam') {
    const a = new ScheduledAdam(lr, 0.9, 0.999, 1e-8);
    return { optimizer: a, setLr: (v) => a.setLr(v) };
  }
  const m = new tf.MomentumOptimizer(lr, 0.99, true);
  return { optimizer: m, setLr: (v) => m.setLearningRate(v) };
}
