/**
 * The one training loop (DESIGN.md, "Training: one loop"). It owns epochs, phases, resume,
 * cancellation, checkpoints, the optimiser, weight decay and the learning-rate schedule from
 * `train.*`, the finite-loss check, progress and the per-epoch metrics. A method supplies, per
 * phase, its batches, its gradient step and its end-of-epoch evaluation, like MONAI's
 * SupervisedTrainer overriding only the iteration.
 *
 * Each phase gets a fresh optimiser and schedule. A checkpoint names its phase and counts epochs
 * as metrics.jsonl does, so a resumed run continues in the right phase at the exact step (batches
 * must derive from (seed, epoch) so that the skipped ones are the ones already trained on).
 *
 * With `checkpoints: false` it trains in process, with no run folder (the box segmentation net,
 * often trained outside any run): nothing is checkpointed, read back or written to metrics.jsonl.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpointState, restoreCheckpoint, saveCheckpoint, type CheckpointParts } from '../runs/checkpoint';
import { truncateMetricsAfter } from '../runs/runDir';
import type { EvalMetrics } from '../protocol';
import { threadGovernor, type ThreadGovernor } from '../engine/threadGovernor';
import { reportStep } from './loop';
import { addWeightDecay, describeOptimizer, makeOptimizer, scheduleOf, setLearningRate, type Schedule, type TrainSettings } from './optim';
import type { RunContext } from './types';

/** What a method's step returns: the loss (for the finite check and the mean), named parts to average, and the gradients to apply. */
export interface StepResult {
  loss: number;
  /** Summed over the epoch and averaged into the epoch's metrics (e.g. attentionLoss, trainCE). */
  parts?: Record<string, number>;
  /** Gradients by variable name; the trainer adds weight decay and applies them (and disposes them). */
  grads: tf.NamedTensorMap;
}

export interface StepInfo {
  /** 0-based epoch within the phase, 0-based step within the epoch. */
  epoch: number;
  step: number;
  lr: number;
  optimizer: tf.Optimizer;
}

export interface EpochSummary {
  /** 0-based epoch within the phase and its number in metrics.jsonl (1-based, phases counted on). */
  epoch: number;
  reportedEpoch: number;
  lr: number;
  /** Mean loss and mean of each named part over the epoch's steps. */
  trainLoss: number;
  parts: Record<string, number>;
}

/** A phase once opened: its networks are built and its batches can be drawn. */
export interface OpenPhase<B> {
  /** Models (and non-optimiser slots, e.g. a parameter store) to checkpoint; the trainer adds its optimiser. */
  parts: CheckpointParts;
  /** Variables that weight decay applies to. */
  decayed: readonly tf.Variable[];
  /** The epoch's batches in order; their count; how to free a batch that is skipped. */
  batches(epoch: number): { steps: number; iterate: AsyncIterable<B> | Iterable<B>; dispose(b: B): void };
  /** One step: loss and gradients (the batch is the method's to dispose). */
  step(batch: B, s: StepInfo): StepResult | Promise<StepResult>;
  /** After `step` applied the update (e.g. a momentum encoder follows). */
  afterUpdate?(s: StepInfo): void;
  /** End of an epoch: metrics to record (the trainer records them), or undefined to record nothing. */
  endEpoch(summary: EpochSummary): Promise<EvalMetrics | undefined>;
  /** Method state saved with every checkpoint and given back on resume (e.g. a queue, a cleaning list). */
  state?(): Record<string, unknown> | Promise<Record<string, unknown>>;
  restore?(state: Record<string, unknown>): void;
}

export interface PhaseSpec<B> {
  name: string;
  epochs: number;
  /** Epochs of earlier phases counted in metrics.jsonl (0 for the first). */
  epochOffset: number;
  /** Base learning rate (default train.lr). */
  lr?: number;
  /** Learning-rate schedule (default train.schedule). */
  schedule?: Schedule;
  /** Builds the phase's networks: from the method's initialisation or the previous phase's weights. */
  open(): Promise<OpenPhase<B>>;
  /** Called once the phase finished all its epochs (e.g. a cleaning round flags its suspects). */
  done?(phase: OpenPhase<B>): Promise<void>;
  /** Frees what open() built, once a later phase no longer needs it (or the run stops). */
  close?(phase: OpenPhase<B>): void;
}

export interface TrainOptions {
  /** Epochs reported to progress in all (default: the last phase's offset + epochs). */
  totalEpochs?: number;
  /** train.* (default ctx.experiment.train). */
  settings?: TrainSettings & { lr: number; batchSize: number; checkpointEvery: number };
  /** false: in process, no run folder: no checkpoint is read or written; a stop returns undefined at the step. */
  checkpoints?: boolean;
}

/** What an in-process training (checkpoints: false) needs of its caller: the callbacks only. */
export type InProcessContext = Pick<RunContext, 'signal' | 'metrics' | 'progress' | 'log'>;

interface SavedState {
  phase?: string;
  sums?: { loss: number; count: number; parts: Record<string, number> };
  method?: Record<string, unknown>;
}

/**
 * Runs the phases in order (from the checkpoint's phase and step when resuming). Returns the last
 * phase, still open (the caller evaluates and saves it, then closes it), or undefined when the run
 * was stopped (after a checkpoint at the exact step).
 */
export function train<B>(ctx: RunContext, phases: PhaseSpec<B>[], o?: TrainOptions): Promise<OpenPhase<B> | undefined>;
export function train<B>(ctx: InProcessContext, phases: PhaseSpec<B>[], o: TrainOptions & { checkpoints: false; settings: NonNullable<TrainOptions['settings']> }): Promise<OpenPhase<B> | undefined>;
export async function train<B>(ctx: RunContext | InProcessContext, phases: PhaseSpec<B>[], o: TrainOptions = {}): Promise<OpenPhase<B> | undefined> {
  const run = o.checkpoints === false ? undefined : (ctx as RunContext);
  const t = o.settings ?? (ctx as RunContext).experiment.train;
  const last = phases[phases.length - 1];
  if (!last) throw new Error('a training needs at least one phase');
  const total = o.totalEpochs ?? last.epochOffset + last.epochs;
  ctx.log(`training: ${describeOptimizer(t)}; phases ${phases.map((p) => `${p.name} (${p.epochs} epochs)`).join(', ')}`);

  const saved = run?.resuming ? await readCheckpointState(run.runDir) : undefined;
  if (run?.resuming && !saved) throw new Error(`${run.runDir}: the run has no checkpoint to resume from`);
  const savedPhase = (saved?.extra as SavedState | undefined)?.phase;
  const first = savedPhase === undefined ? 0 : phases.findIndex((p) => p.name === savedPhase);
  if (first < 0) throw new Error(`${run?.runDir}: the checkpoint is from phase '${savedPhase}', which this experiment does not have`);

  // Opt-in: switching thread counts changes the kernels' summation order, so results stop being bit-reproducible (and exact resume breaks).
  const governor = run?.experiment?.train.adaptiveThreads ? threadGovernor(ctx.log) : undefined;
  let open: OpenPhase<B> | undefined;
  let openSpec: PhaseSpec<B> | undefined;
  for (let pi = first; pi < phases.length; pi++) {
    const spec = phases[pi]!;
    const phase = await spec.open();
    // The previous phase's networks were only needed to start this one.
    if (open) openSpec?.close?.(open);
    open = phase;
    openSpec = spec;
    const base = spec.lr ?? t.lr;
    const schedule = spec.schedule ?? scheduleOf(t);
    const optimizer = makeOptimizer(t, base);
    const parts: CheckpointParts = { models: phase.parts.models, optimizers: { ...phase.parts.optimizers, optimizer } };
    let start = { epoch: 0, step: 0, sums: undefined as SavedState['sums'] };
    if (pi === first && saved && run) {
      const loaded = await restoreCheckpoint(run.runDir, parts);
      if (!loaded) throw new Error(`${run.runDir}: the run has no checkpoint to resume from`);
      for (const n of loaded.notes) ctx.log(n);
      const extra = (loaded.extra ?? {}) as SavedState;
      // An older checkpoint than readCheckpointState saw (the newest failed to load) must be from the same phase.
      if (extra.phase !== savedPhase) throw new Error(`${loaded.dir}: the checkpoint that loaded is from phase '${extra.phase}', not '${savedPhase}'; ${loaded.notes.join('; ')}`);
      if (loaded.notes.length) await truncateMetricsAfter(run.runDir, loaded.epoch);
      if (extra.method) phase.restore?.(extra.method);
      start = { epoch: loaded.epoch - spec.epochOffset, step: loaded.step, sums: extra.sums };
      ctx.log(`resumed in phase ${spec.name} at epoch ${loaded.epoch + 1}, step ${loaded.step}`);
    }
    try {
      const finished = await runEpochs(ctx, spec, phase, { optimizer, parts, base, schedule, total, start, runDir: run?.runDir, weightDecay: t.weightDecay, batchSize: t.batchSize, checkpointEvery: t.checkpointEvery, governor });
      if (!finished) {
        spec.close?.(phase);
        return undefined;
      }
    } catch (e) {
      spec.close?.(phase);
      throw e;
    } finally {
      optimizer.dispose();
    }
    await spec.done?.(phase);
    // Stopped as the phase ended: its end-of-phase checkpoint resumes into the next one.
    if (ctx.signal.aborted && pi < phases.length - 1) {
      spec.close?.(phase);
      return undefined;
    }
  }
  return open;
}

interface EpochLoop {
  optimizer: tf.Optimizer;
  parts: CheckpointParts;
  base: number;
  schedule: Schedule;
  total: number;
  start: { epoch: number; step: number; sums: SavedState['sums'] };
  /** Where checkpoints go; undefined: none (in process). */
  runDir: string | undefined;
  weightDecay: number;
  batchSize: number;
  checkpointEvery: number;
  governor?: ThreadGovernor;
}

async function runEpochs<B>(ctx: InProcessContext, spec: PhaseSpec<B>, phase: OpenPhase<B>, l: EpochLoop): Promise<boolean> {
  const stopNote = l.runDir === undefined ? 'no checkpoint (in process)' : 'checkpoint written';
  const checkpoint = async (epoch: number, step: number, sums: NonNullable<SavedState['sums']>) => {
    if (l.runDir === undefined) return;
    const extra: SavedState = { phase: spec.name, sums, ...(phase.state ? { method: await phase.state() } : {}) };
    await saveCheckpoint(l.runDir, l.parts, { epoch: spec.epochOffset + epoch, step, extra: extra as Record<string, unknown> });
  };
  for (let e = l.start.epoch; e < spec.epochs; e++) {
    const lr = l.schedule(l.base, e, spec.epochs);
    setLearningRate(l.optimizer, lr);
    const { steps, iterate, dispose } = phase.batches(e);
    const resumeHere = e === l.start.epoch;
    const skip = resumeHere ? l.start.step : 0;
    const sums = resumeHere && l.start.sums ? structuredClone(l.start.sums) : { loss: 0, count: 0, parts: {} as Record<string, number> };
    const t0 = performance.now();
    let step = 0;
    for await (const b of iterate) {
      if (step < skip) {
        dispose(b);
        step++;
        continue;
      }
      const stepStart = performance.now();
      const info: StepInfo = { epoch: e, step, lr, optimizer: l.optimizer };
      const r = await phase.step(b, info);
      if (!Number.isFinite(r.loss)) {
        tf.dispose(Object.values(r.grads));
        throw new Error(`training diverged in phase ${spec.name} at epoch ${spec.epochOffset + e + 1}, step ${step + 1} (loss ${r.loss}); lower train.lr`);
      }
      addWeightDecay(r.grads, phase.decayed, l.weightDecay);
      l.optimizer.applyGradients(r.grads);
      tf.dispose(Object.values(r.grads));
      phase.afterUpdate?.(info);
      sums.loss += r.loss;
      sums.count++;
      for (const [k, v] of Object.entries(r.parts ?? {})) sums.parts[k] = (sums.parts[k] ?? 0) + v;
      step++;
      l.governor?.stepDone(performance.now() - stepStart);
      await reportStep(ctx, { epoch: spec.epochOffset + e, epochs: l.total, step, steps, firstStep: skip, startedAt: t0, batchSize: l.batchSize, loss: r.loss });
      if (ctx.signal.aborted && step < steps) {
        await checkpoint(e, step, sums);
        ctx.log(`stopped at epoch ${spec.epochOffset + e + 1}, step ${step}/${steps}; ${stopNote}`);
        return false;
      }
    }
    const c = Math.max(sums.count, 1);
    const summary: EpochSummary = {
      epoch: e,
      reportedEpoch: spec.epochOffset + e + 1,
      lr,
      trainLoss: sums.count ? sums.loss / c : NaN,
      parts: Object.fromEntries(Object.entries(sums.parts).map(([k, v]) => [k, v / c])),
    };
    const m = await phase.endEpoch(summary);
    if (m) ctx.metrics(m);
    const lastEpoch = e + 1 === spec.epochs;
    if ((e + 1) % l.checkpointEvery === 0 || lastEpoch || ctx.signal.aborted) await checkpoint(e + 1, 0, { loss: 0, count: 0, parts: {} });
    if (ctx.signal.aborted && !lastEpoch) {
      ctx.log(`stopped after epoch ${spec.epochOffset + e + 1}; ${stopNote}`);
      return false;
    }
  }
  return true;
}
