/**
 * Pieces every training loop shares: where to start (the checkpoint when resuming) and the step
 * progress report (throughput, ETA, memory), which also yields so that cancellation and LSP
 * traffic get through between steps.
 */
import { runEtaSeconds } from './eta';
import * as tf from '@tensorflow/tfjs-core';
import { restoreCheckpoint, type CheckpointParts, type CheckpointState } from '../runs/checkpoint';
import { truncateMetricsAfter } from '../runs/runDir';
import type { RunContext } from './types';

/**
 * Loads the checkpoint into `parts` when the run resumes; otherwise the start of epoch 0. A
 * resumed run never silently starts over: no loadable checkpoint is an error naming the files.
 */
export async function resumePoint(ctx: RunContext, parts: CheckpointParts): Promise<CheckpointState> {
  if (!ctx.resuming) return { epoch: 0, step: 0 };
  const loaded = await restoreCheckpoint(ctx.runDir, parts);
  if (!loaded) throw new Error(`${ctx.runDir}: the run has no checkpoint to resume from`);
  const { dir: _dir, notes, ...st } = loaded;
  for (const n of notes) ctx.log(n);
  // An older checkpoint than the runner expected: its later epochs' metrics are repeated.
  if (notes.length) await truncateMetricsAfter(ctx.runDir, st.epoch);
  ctx.log(`resumed at epoch ${st.epoch + 1}, step ${st.step}`);
  return st;
}

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
export async function reportStep(ctx: RunContext, r: StepReport): Promise<void> {
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
