/**
 * `method: segment`: Dice + CE on the labelled training volumes through the shared trainer
 * (training/trainer.ts: optimiser, schedule, weight decay, checkpoints, resume), per-class Dice on
 * val every epoch and on test at the end, and the final network saved under model/. The network
 * is built in network.ts. With data.patch the network trains on patches of its input size cut
 * from whole (resampled) volumes, and val/test Dice comes from sliding windows over each whole
 * volume; without it every volume is squashed to the input size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats, readScalars } from '../../engine/tensorReads';
import * as path from 'node:path';
import { intensityOf, loadSegmentationDataset, type SegmentationBatch, type SegmentationDataset } from '../../data/datasets';
import { slidingWindowLabels } from '../../eval/slidingWindow';
import type { Split } from '../../data/datasets';
import type { EvalMetrics } from '../../protocol';
import { matrixVariables } from '../../training/optim';
import { train, type OpenPhase } from '../../training/trainer';
import type { RunContext, RunResult } from '../../training/types';
import { paramsCheckpointSlot, saveParams } from '../../networks/vit3dWeights';
import { saveEncoder } from '../../networks/vit3dIo';
import type { Unetr3d } from '../../networks/unetr3d';
import { buildSegmenter } from './network';
import { DiceMeter, diceCeLoss, diceScores } from './losses';

export const SEGMENTER_FORMAT = 'medstudio-unetr3d';
export const MODEL_DIR = 'model';

export async function openSegmentationData(ctx: Pick<RunContext, 'experiment'> & Partial<Pick<RunContext, 'log'>>): Promise<SegmentationDataset> {
  const e = ctx.experiment;
  if (e.data.format !== 'volumes') throw new Error(`${e.file}: method segment needs data.format: volumes (got ${e.data.format})`);
  if (!e.data.labels) throw new Error(`${e.file}: method segment needs data.labels (the folder of label maps)`);
  return loadSegmentationDataset({
    path: e.data.path,
    labels: e.data.labels,
    size: e.model.inputSize,
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    classes: e.data.classes,
    labelled: e.data.labelled,
    manifest: e.data.split,
    intensity: intensityOf(e),
    ...(e.data.spacing ? { spacing: e.data.spacing } : {}),
    ...(e.data.patch ? { patch: true } : {}),
    ...(ctx.log ? { log: ctx.log } : {}),
  });
}

/** Per-class Dice of `net` on a split's whole volumes by sliding windows of its input size (datasets opened with patch). */
async function slidingWindowDice(net: Unetr3d, ds: SegmentationDataset, split: Split, batchSize: number, epoch: number): Promise<EvalMetrics> {
  const meter = new DiceMeter(ds.classes);
  const K = ds.classes.length;
  const patch = ds.inputShape.slice(0, 3) as [number, number, number];
  const predict = (x: tf.Tensor5D) => tf.tidy(() => tf.softmax(net.apply(x)) as tf.Tensor5D);
  for (const sample of ds.split(split)) {
    const v = await ds.load(sample);
    const labels = await slidingWindowLabels(v.image, v.shape, predict, { patch, classes: K, batchSize });
    meter.add(diceScores(labels, v.label!, K));
  }
  return { split, epoch, classes: ds.classes, extra: meter.result() };
}

/** Mean loss and per-class Dice of `net` on a split. */
export async function evaluateSegmentation(net: Unetr3d, ds: SegmentationDataset, split: Split, batchSize: number, epoch: number): Promise<EvalMetrics> {
  if (ds.patched) return slidingWindowDice(net, ds, split, batchSize, epoch);
  const meter = new DiceMeter(ds.classes);
  let loss = 0;
  let n = 0;
  for await (const b of ds.batches(split, { batchSize, shuffle: false })) {
    const { l, pred } = tf.tidy(() => {
      const logits = net.apply(b.x);
      return { l: diceCeLoss(logits, b.y!).loss, pred: tf.argMax(logits, 4) };
    });
    const [p, y, [lv]] = await Promise.all([pred.data(), b.y!.data(), readScalars(l)]);
    const vox = p.length / b.samples.length;
    for (let i = 0; i < b.samples.length; i++) meter.add(diceScores(p.subarray(i * vox, (i + 1) * vox), y.subarray(i * vox, (i + 1) * vox), ds.classes.length));
    loss += lv! * b.samples.length;
    n += b.samples.length;
    tf.dispose([l, pred, b.x, b.y!]);
  }
  return { split, epoch, loss: n ? loss / n : undefined, classes: ds.classes, extra: meter.result() };
}

export async function trainSegmentation(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const ds = await openSegmentationData(ctx);
  const intensity = intensityOf(e);
  if (ds.counts.train === 0) throw new Error(`${e.file}: no training volumes (data.labelled ${e.data.labelled}, ${ds.samples.length} volumes in all)`);
  const { ps, net, notes } = buildSegmenter(e, ds.classes.length);
  notes.forEach((m) => ctx.log(m));
  ctx.log(`segment: ${ds.counts.train} labelled training volumes, ${ds.counts.val} val, ${ds.counts.test} test; classes ${ds.classes.join(', ')}; ${ps.count()} parameters [${ctx.compute.backend}]`);
  const where = e.data.spacing ? `resampled to ${e.data.spacing.join('x')} mm` : 'at their stored spacing';
  if (ds.patched) ctx.log(`segment: training on ${ds.inputShape.slice(0, 3).join('x')} patches, ${e.data.patchesPerVolume} per volume per step, from whole volumes ${where}; val/test Dice by sliding windows over whole volumes on that grid`);
  const B = e.train.batchSize;
  const E = e.train.epochs;
  const vars = ps.variables();
  const phase: OpenPhase<SegmentationBatch> = {
    parts: { models: {}, optimizers: { params: paramsCheckpointSlot(ps, 'Unetr3dParams') } },
    decayed: matrixVariables(ps.entries()),
    batches: (epoch) => {
      const o = { batchSize: B, shuffle: true, seed: e.train.seed, epoch, augment: e.train.augment, patchesPerVolume: e.data.patchesPerVolume };
      if (ds.patched) return { steps: ds.patchBatchCount('train', o), iterate: ds.patchBatches('train', o), dispose: (b) => tf.dispose([b.x, b.y!]) };
      return { steps: ds.batchCount('train', o), iterate: ds.batches('train', o), dispose: (b) => tf.dispose([b.x, b.y!]) };
    },
    step: async (b) => {
      let terms: tf.Tensor1D | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const r = diceCeLoss(net.apply(b.x), b.y!);
        terms = tf.keep(tf.stack([r.loss, r.dice, r.ce]) as tf.Tensor1D);
        return r.loss;
      }, vars);
      const [loss, dice, ce] = Array.from(await readFloats(terms!).finally(() => tf.dispose([value, terms!, b.x, b.y!])));
      return { loss: loss!, grads, parts: { trainDiceLoss: dice!, trainCE: ce! } };
    },
    endEpoch: async (sum) => {
      const val = ds.counts.val ? await evaluateSegmentation(net, ds, 'val', B, sum.reportedEpoch) : { split: 'val' as const, epoch: sum.reportedEpoch };
      return { ...val, extra: { ...val.extra, trainLoss: sum.trainLoss, ...sum.parts, lr: sum.lr } };
    },
  };
  try {
    const done = await train(ctx, [{ name: 'main', epochs: E, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };
    const test = await evaluateSegmentation(net, ds, 'test', B, E);
    ctx.metrics(test);
    const dir = path.join(ctx.runDir, MODEL_DIR);
    // How inputs were prepared, so that inference can do the same: spacing (null = as stored) and patch (sliding windows of the input size).
    const prepared = { intensity, spacing: e.data.spacing ?? null, patch: ds.patched };
    await saveParams(dir, 'segmenter', SEGMENTER_FORMAT, { unetr: net.config, classes: ds.classes, ...prepared, init: e.init ?? null }, ps.entries());
    await saveEncoder(dir, net.encoder, { method: 'segment', intensity: typeof intensity === 'string' ? intensity : JSON.stringify(intensity) });
    const dice = Object.entries(test.extra ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    ctx.log(`test: ${dice} [${ctx.compute.backend}]`);
    return { test, artifacts: { model: MODEL_DIR } };
  } finally {
    ps.dispose();
  }
}
