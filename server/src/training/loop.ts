/**
 * The trainer's step progress report (throughput, ETA, memory), which also yields so that
 * cancellation and LSP traffic get through between steps.
 */
import { runEtaSeconds } from './eta';
import * as tf from '@tensorflow/tfjs-core';
import type { RunContext } from './types';

export interface StepReport {
  /** 0-based epoch and the 1-based number of steps done in it. */
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** The first step of this epoch that ran in this process (after a resume) and when the epoch started. */
  firstStep: number;
  startedAt: number;
  batchSize: number;
  loss: number;
}

/** Reports one step's progress, then yields to the event loop. */
export async function reportStep(ctx: Pick<RunContext, 'progress'>, r: StepReport): Promise<void> {
  const secs = (performance.now() - r.startedAt) / 1000;
  const done = Math.max(r.step - r.firstStep, 1);
  ctx.progress({
    epoch: r.epoch + 1,
    epochs: r.epochs,
    step: r.step,
    steps: r.steps,
    loss: r.loss,
    imagesPerSec: (done * r.batchSize) / Math.max(secs, 1e-6),
    etaSeconds: runEtaSeconds({ epoch: r.epoch + 1, epochs: r.epochs, step: r.step, steps: r.steps, secondsPerStep: secs / done }),
    memoryMB: tf.memory().numBytes / 2 ** 20,
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
}
