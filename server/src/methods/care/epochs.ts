/**
 * The epoch loop of one phase: seeded batches (class-balanced when asked), CARE's attention
 * batches in stage 2, progress, validation metrics, checkpoints, and a clean stop on abort
 * (checkpoint at the exact step, so a resumed run continues as if it never stopped).
 */
import { runEtaSeconds } from '../../training/eta';
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationBatch, ClassificationBatchOptions, ClassificationDataset } from '../../data/datasets';
import { deriveSeed } from '../../transforms/rng';
import { regionMasks } from '../../losses';
import type { ResNetClassifier } from '../../networks/resnet';
import { saveCheckpoint } from '../../runs/checkpoint';
import type { RunContext } from '../../training/types';
import { evaluateSplit } from './evaluate';
import type { Phase } from './phases';
import { trainStep, type AttentionBatch, type StepInput } from './step';

/** Method state saved with every checkpoint. */
export interface CareState {
  phase: string;
  /** Sample ids dropped by data cleaning so far. */
  excluded: string[];
  /** Running sums of the epoch in progress. */
  lossSum: number;
  attentionSum: number;
  batches: number;
}

export interface EpochLoopOptions {
  phaseIndex: number;
  rare: ReadonlySet<number>;
  excluded: ReadonlySet<string>;
  samplerWeights?: number[];
  lossWeights?: number[];
  /** Where to start (from a checkpoint). */
  start: { epoch: number; step: number; sums?: Pick<CareState, 'lossSum' | 'attentionSum' | 'batches'> };
}

function batchOptions(ctx: RunContext, phase: Phase, o: EpochLoopOptions, epoch: number, stage2: boolean): ClassificationBatchOptions {
  const t = ctx.experiment.train;
  return {
    batchSize: t.batchSize,
    shuffle: true,
    seed: deriveSeed(t.seed, o.phaseIndex + 1),
    epoch,
    augment: t.augment,
    ...(stage2 ? { boxMask: true } : {}),
    ...(o.samplerWeights ? { weights: o.samplerWeights } : {}),
  };
}

async function attentionBatch(ctx: RunContext, b: ClassificationBatch, size: number, o: EpochLoopOptions): Promise<AttentionBatch | undefined> {
  if (!b.mask || !b.hasBox) return undefined;
  const c = ctx.experiment.care;
  const n = b.samples.length;
  const md = await b.mask.data();
  const inner = new Float32Array(n * size * size);
  const outer = new Float32Array(n * size * size);
  const take = new Float32Array(n);
  b.samples.forEach((s, i) => {
    if (!o.rare.has(s.label) || !b.hasBox![i] || o.excluded.has(s.id)) return;
    const m = regionMasks(md.subarray(i * size * size, (i + 1) * size * size) as Float32Array, size, c.outerStart, c.outerDelta);
    if (!m.inner.some((v) => v > 0)) return; // the box left the image under augmentation
    inner.set(m.inner, i * size * size);
    outer.set(m.outer, i * size * size);
    take[i] = 1;
  });
  if (!take.some((v) => v > 0)) return undefined;
  return {
    inner: tf.tensor3d(inner, [n, size, size]),
    outer: tf.tensor3d(outer, [n, size, size]),
    take: tf.tensor1d(take),
    alpha: c.alpha,
    threshold: c.threshold,
  };
}

function itemWeights(b: ClassificationBatch, o: EpochLoopOptions): tf.Tensor1D | undefined {
  if (!o.lossWeights && o.excluded.size === 0) return undefined;
  return tf.tensor1d(b.samples.map((s) => (o.excluded.has(s.id) ? 0 : (o.lossWeights?.[s.label] ?? 1))));
}

/**
 * Cosine learning-rate decay over the phase's epochs, set at each epoch start (MedStudio's choice;
 * the reference uses step decay). It depends on the epoch only, so a resumed run gets the same rates.
 */
export function cosineRate(base: number, epoch: number, epochs: number): number {
  return base * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
}

function setRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as tf.Optimizer & { setLearningRate?: (lr: number) => void; learningRate?: number };
  // SGD/momentum cache -lr in a tensor (setLearningRate); Adam reads its field on every step.
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Runs the phase's epochs from o.start; returns false when stopped by the signal (after a checkpoint). */
export async function runEpochs(ctx: RunContext, phase: Phase, net: ResNetClassifier, optimizer: tf.Optimizer, ds: ClassificationDataset, o: EpochLoopOptions): Promise<boolean> {
  const t = ctx.experiment.train;
  const reported = phase.epochOffset;
  const totalReported = ctx.experiment.train.epochs + (phase.name === 'hires' ? phase.epochs : ctx.experiment.longtail.hiResInputSize > 0 ? ctx.experiment.longtail.hiResEpochs : 0);
  const state = (epoch: number, step: number, sums: Pick<CareState, 'lossSum' | 'attentionSum' | 'batches'>) => ({
    epoch,
    step,
    extra: { phase: phase.name, excluded: [...o.excluded], ...sums } satisfies CareState as unknown as Record<string, unknown>,
  });
  const checkpoint = (epoch: number, step: number, sums: Pick<CareState, 'lossSum' | 'attentionSum' | 'batches'>) => {
    const s = state(epoch, step, sums);
    return saveCheckpoint(ctx.runDir, { models: { net: net.model }, optimizers: { net: optimizer } }, s);
  };

  for (let e = o.start.epoch; e < phase.epochs; e++) {
    const stage2 = e >= phase.attentionFrom;
    setRate(optimizer, cosineRate(phase.lr, e, phase.epochs));
    const opts = batchOptions(ctx, phase, o, e, stage2);
    const steps = ds.batchCount('train', opts);
    const resumeHere = e === o.start.epoch;
    const skip = resumeHere ? o.start.step : 0;
    const sums = resumeHere && o.start.sums ? { ...o.start.sums } : { lossSum: 0, attentionSum: 0, batches: 0 };
    let step = 0;
    const t0 = Date.now();
    let seen = 0;
    for await (const b of ds.batches('train', opts)) {
      if (step < skip) {
        tf.dispose([b.x, b.y, b.mask].filter((x): x is tf.Tensor => x !== undefined));
        step++;
        continue;
      }
      const attention = stage2 ? await attentionBatch(ctx, b, phase.inputSize, o) : undefined;
      const input: StepInput = { x: b.x as tf.Tensor4D, y: b.y };
      const w = itemWeights(b, o);
      if (w) input.itemWeights = w;
      if (attention) input.attention = attention;
      const r = trainStep(net, optimizer, input, t.weightDecay);
      tf.dispose([b.x, b.y, b.mask, w, attention?.inner, attention?.outer, attention?.take].filter((x): x is tf.Tensor => x !== undefined));
      if (!Number.isFinite(r.loss)) throw new Error(`training diverged at epoch ${e + 1}, step ${step + 1} (loss ${r.loss}); lower train.lr`);
      sums.lossSum += r.loss;
      sums.attentionSum += r.attention;
      sums.batches++;
      step++;
      seen += b.samples.length;
      const secs = (Date.now() - t0) / 1000;
      const ips = secs > 0 ? seen / secs : 0;
      ctx.progress({
        epoch: reported + e + 1,
        epochs: totalReported,
        step,
        steps,
        loss: r.loss,
        imagesPerSec: ips,
        etaSeconds: runEtaSeconds({ epoch: reported + e + 1, epochs: totalReported, step, steps, secondsPerStep: ips > 0 ? t.batchSize / ips : 0 }),
        memoryMB: Math.round(process.memoryUsage().rss / 1e6),
      });
      if (ctx.signal.aborted && step < steps) {
        await checkpoint(e, step, sums);
        ctx.log(`stopped at epoch ${reported + e + 1}, step ${step}/${steps}; checkpoint written`);
        return false;
      }
    }
    const trainLoss = sums.batches ? sums.lossSum / sums.batches : NaN;
    const extra: Record<string, number> = { trainLoss, stage: stage2 ? 2 : 1, lr: cosineRate(phase.lr, e, phase.epochs) };
    if (stage2) extra.attentionLoss = sums.attentionSum / Math.max(1, sums.batches);
    if (phase.reportMetrics) {
      const { metrics } = await evaluateSplit(net, ds, 'val', reported + e + 1, { batchSize: t.batchSize });
      ctx.metrics({ ...metrics, extra });
    } else {
      ctx.log(`${phase.name}: epoch ${e + 1}/${phase.epochs} train loss ${trainLoss.toFixed(4)}`);
    }
    const last = e + 1 === phase.epochs;
    if ((e + 1) % t.checkpointEvery === 0 || last || ctx.signal.aborted) await checkpoint(e + 1, 0, { lossSum: 0, attentionSum: 0, batches: 0 });
    if (ctx.signal.aborted && !last) {
      ctx.log(`stopped after epoch ${reported + e + 1}; checkpoint written`);
      return false;
    }
  }
  return true;
}
