/**
 * Kernel interpretation (ALGORITHMS.md): optimise the input x' (starting at x) so that kernel k
 * of a layer keeps its activation while the other kernels fall silent. Only x' moves: SGD with
 * momentum and no weight decay, as in the reference (decay would pull x' toward black, against
 * the L1 term's pull toward the data mean); (ours) the learning rate halved when the loss stops
 * improving; an early stop on a longer plateau, and caps on steps and time. The loop yields to
 * the event loop after every step, so a cancellation arriving over LSP stops it within one step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runGraph } from './graph';
import { disposeTargets, kernelLoss, kernelTargets, type KernelWeights } from './kernelLoss';

export interface KernelSchedule {
  lr: number;
  momentum: number;
  weightDecay: number;
  maxSteps: number;
  maxSeconds: number;
  /** Steps without improvement before the learning rate is halved. */
  plateauPatience: number;
  /** Steps without improvement before stopping (converged). */
  stopPatience: number;
  /** Relative improvement that counts as one. */
  minImprovement: number;
  lrFactor: number;
  /**
   * (ours) Size of the first step as a fraction of the input's intensity range (RMS over
   * voxels). The reference weights were tuned for 224 px ImageNet inputs; the gradient of
   * gamma * mean|x'| scales with 1/voxels, so on small medical inputs lr 0.1 would jump far past
   * the image. The whole loss is multiplied by one constant, fixed at the first step, so that
   * step has this size: the objective and its minimiser are unchanged, only the step length
   * adapts. 0 turns it off (raw reference behaviour).
   */
  firstStep: number;
}

export const DEFAULT_SCHEDULE: KernelSchedule = {
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 0,
  maxSteps: 300,
  maxSeconds: 120,
  plateauPatience: 10,
  stopPatience: 50,
  minImprovement: 1e-4,
  lrFactor: 0.5,
  firstStep: 0.002,
};

export type KernelStop = 'converged' | 'cancelled' | 'maxSteps' | 'timeLimit';

export interface KernelStep {
  step: number;
  loss: number;
  lSel: number;
  lRest: number;
  lr: number;
}

export interface KernelRunOptions {
  layer: string;
  kernel: number;
  weights: KernelWeights;
  /** The L1 term's anchor m per channel (kernelLoss.ts): the training inputs' mean. */
  mean: readonly number[];
  schedule?: Partial<KernelSchedule>;
  /** Called after every step; `image()` reads the current x' (only call it when streaming). */
  onStep?: (s: KernelStep, image: () => Float32Array) => void;
  /** Polled before every step (LSP cancellation). */
  isCancelled?: () => boolean;
}

export interface KernelRun {
  /** The final x' [1, ...spatial, C]; the caller disposes it. */
  image: tf.Tensor;
  steps: number;
  lSel: number;
  lRest: number;
  stopped: KernelStop;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function interpretKernel(model: LayersModel, x0: tf.Tensor, opts: KernelRunOptions): Promise<KernelRun> {
  const s = { ...DEFAULT_SCHEDULE, ...(opts.schedule ?? {}) };
  const features = (x: tf.Tensor): tf.Tensor => runGraph(model, x, { fetch: [opts.layer], featuresOnly: true }).layers.get(opts.layer)!;
  const a0 = tf.tidy(() => features(x0));
  let targets: ReturnType<typeof kernelTargets>;
  try {
    targets = kernelTargets(a0, opts.kernel);
  } finally {
    a0.dispose();
  }
  let x = tf.clone(x0);
  let velocity: tf.Tensor | undefined;
  let lr = s.lr;
  let scale = 1;
  const range = s.firstStep > 0 ? tf.tidy(() => tf.sub(tf.max(x0), tf.min(x0)).dataSync()[0]!) || 1 : 1;
  let best = Infinity;
  let badForLr = 0;
  let bad = 0;
  let step = 0;
  let lSel = 0;
  let lRest = 1;
  let stopped: KernelStop = 'maxSteps';
  const start = Date.now();
  try {
    while (true) {
      if (opts.isCancelled?.()) {
        stopped = 'cancelled';
        break;
      }
      if (step >= s.maxSteps) {
        stopped = 'maxSteps';
        break;
      }
      if ((Date.now() - start) / 1000 >= s.maxSeconds) {
        stopped = 'timeLimit';
        break;
      }
      let loss = 0;
      const [nextX, nextV] = tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((xp: tf.Tensor) => {
          const terms = kernelLoss(features(xp), xp, targets, opts.weights, opts.mean);
          // Read inside the forward pass: valueAndGrad keeps only the returned loss.
          lSel = terms.lSel.dataSync()[0]!;
          lRest = terms.lRest.dataSync()[0]!;
          return terms.loss;
        })(x);
        loss = value.dataSync()[0]!;
        if (step === 0 && s.firstStep > 0) {
          const rms = tf.sqrt(tf.mean(tf.square(grad))).dataSync()[0]!;
          if (rms > 0 && Number.isFinite(rms)) scale = (s.firstStep * range) / (s.lr * rms);
        }
        const g = tf.add(tf.mul(grad, scale), tf.mul(x, s.weightDecay));
        const v = velocity ? tf.add(tf.mul(velocity, s.momentum), g) : g;
        return [tf.sub(x, tf.mul(v, lr)), v];
      });
      x.dispose();
      velocity?.dispose();
      x = nextX;
      velocity = nextV;
      step++;
      if (!Number.isFinite(loss)) throw new Error(`kernel interpretation diverged at step ${step} (loss ${loss}); lower the loss weights or the learning rate`);
      const current = x;
      opts.onStep?.({ step, loss, lSel, lRest, lr }, () => new Float32Array(current.dataSync()));

      if (!Number.isFinite(best) || loss < best - Math.abs(best) * s.minImprovement) {
        best = loss;
        badForLr = 0;
        bad = 0;
      } else {
        badForLr++;
        bad++;
        if (badForLr >= s.plateauPatience) {
          lr *= s.lrFactor;
          badForLr = 0;
        }
        if (bad >= s.stopPatience) {
          stopped = 'converged';
          break;
        }
      }
      await nextTurn();
    }
    // Report the terms of the image returned, not of the one before the last update.
    const final = x;
    tf.tidy(() => {
      const terms = kernelLoss(features(final), final, targets, opts.weights, opts.mean);
      lSel = terms.lSel.dataSync()[0]!;
      lRest = terms.lRest.dataSync()[0]!;
    });
    return { image: x, steps: step, lSel, lRest, stopped };
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    velocity?.dispose();
    disposeTargets(targets);
  }
}
