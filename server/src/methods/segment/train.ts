/**
 * `method: segment` training loop: Dice + CE on the labelled training volumes, per-class Dice on
 * val every epoch and on test at the end, checkpoints (parameters + Adam state + position) that
 * resume exactly, and the final network saved under model/.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { loadSegmentationDataset, type SegmentationDataset } from '../../data/datasets';
import type { Split } from '../../data/datasets';
// runs/index imports the method registry: import its modules directly (no cycle).
import { saveCheckpoint, type CheckpointParts } from '../../runs/checkpoint';
import { reportStep, resumePoint } from '../../training/loop';
import type { EvalMetrics } from '../../protocol';
import type { RunContext, RunResult } from '../../training/types';
import { paramsCheckpointSlot, saveParams } from '../../networks/vit3dWeights';
import { saveEncoder } from '../../networks/vit3dIo';
import type { Unetr3d } from '../../networks/unetr3d';
import { buildSegmenter } from './network';
import { DiceMeter, diceCeLoss, diceScores } from './losses';

export const SEGMENTER_FORMAT = 'medstudio-unetr3d';
export const MODEL_DIR = 'model';
const INTENSITY = 'auto';

export async function openSegmentationData(ctx: Pick<RunContext, 'experiment'>): Promise<SegmentationDataset> {
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
    intensity: INTENSITY,
  });
}

/** Mean loss and per-class Dice of `net` on a split. */
export async function evaluateSegmentation(net: Unetr3d, ds: SegmentationDataset, split: Split, batchSize: number, epoch: number): Promise<EvalMetrics> {
  const meter = new DiceMeter(ds.classes);
  let loss = 0;
  let n = 0;
  for await (const b of ds.batches(split, { batchSize, shuffle: false })) {
    const { l, pred } = tf.tidy(() => {
      const logits = net.apply(b.x);
      return { l: diceCeLoss(logits, b.y!).loss, pred: tf.argMax(logits, 4) };
    });
    const p = pred.dataSync();
    const y = b.y!.dataSync();
    const vox = p.length / b.samples.length;
    for (let i = 0; i < b.samples.length; i++) meter.add(diceScores(p.subarray(i * vox, (i + 1) * vox), y.subarray(i * vox, (i + 1) * vox), ds.classes.length));
    loss += l.dataSync()[0]! * b.samples.length;
    n += b.samples.length;
    tf.dispose([l, pred, b.x, b.y!]);
  }
  return { split, epoch, loss: n ? loss / n : undefined, classes: ds.classes, extra: meter.result() };
}

export async function trainSegmentation(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const ds = await openSegmentationData(ctx);
  if (ds.counts.train === 0) throw new Error(`${e.file}: no training volumes (data.labelled ${e.data.labelled}, ${ds.samples.length} volumes in all)`);
  const { ps, net, notes } = buildSegmenter(e, ds.classes.length);
  notes.forEach((m) => ctx.log(m));
  ctx.log(`segment: ${ds.counts.train} labelled training volumes, ${ds.counts.val} val, ${ds.counts.test} test; classes ${ds.classes.join(', ')}; ${ps.count()} parameters [${ctx.compute.backend}]`);
  const optimizer: tf.Optimizer = tf.train.adam(e.train.lr);
  const parts: CheckpointParts = { models: {}, optimizers: { adam: optimizer, params: paramsCheckpointSlot(ps, 'Unetr3dParams') } };
  const B = e.train.batchSize;
  const E = e.train.epochs;
  const vars = ps.variables();
  try {
    const start = await resumePoint(ctx, parts);
    const steps = ds.batchCount('train', { batchSize: B });
    for (let epoch = start.epoch; epoch < E; epoch++) {
      const t0 = performance.now();
      const sums = { loss: 0, dice: 0, ce: 0, n: 0 };
      let step = 0;
      const first = epoch === start.epoch ? start.step : 0;
      for await (const b of ds.batches('train', { batchSize: B, shuffle: true, seed: e.train.seed, epoch, augment: e.train.augment })) {
        if (step < first || ctx.signal.aborted) {
          // Resuming mid-epoch: the batch order derives from (seed, epoch), so skip the ones done.
          tf.dispose([b.x, b.y!]);
          if (ctx.signal.aborted) break;
          step++;
          continue;
        }
        let terms: tf.Tensor1D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const r = diceCeLoss(net.apply(b.x), b.y!);
          terms = tf.keep(tf.stack([r.loss, r.dice, r.ce]) as tf.Tensor1D);
          return r.loss;
        }, vars);
        optimizer.applyGradients(grads);
        const [loss, dice, ce] = Array.from(terms!.dataSync());
        tf.dispose([value, terms!, b.x, b.y!, ...Object.values(grads)]);
        if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}: lower train.lr`);
        sums.loss += loss!;
        sums.dice += dice!;
        sums.ce += ce!;
        sums.n++;
        step++;
        await reportStep(ctx, { epoch, epochs: E, step, steps, firstStep: first, startedAt: t0, batchSize: B, loss: loss! });
      }
      if (ctx.signal.aborted) {
        await saveCheckpoint(ctx.runDir, parts, { epoch, step });
        ctx.log(`stopped at epoch ${epoch + 1}, step ${step}; checkpoint written`);
        return { artifacts: {} };
      }
      const val = ds.counts.val ? await evaluateSegmentation(net, ds, 'val', B, epoch + 1) : { split: 'val' as const, epoch: epoch + 1 };
      const c = Math.max(sums.n, 1);
      ctx.metrics({ ...val, extra: { ...val.extra, trainLoss: sums.loss / c, trainDiceLoss: sums.dice / c, trainCE: sums.ce / c } });
      if ((epoch + 1) % e.train.checkpointEvery === 0 || epoch + 1 === E) await saveCheckpoint(ctx.runDir, parts, { epoch: epoch + 1, step: 0 });
    }
    const test = await evaluateSegmentation(net, ds, 'test', B, E);
    ctx.metrics(test);
    const dir = path.join(ctx.runDir, MODEL_DIR);
    await saveParams(dir, 'segmenter', SEGMENTER_FORMAT, { unetr: net.config, classes: ds.classes, intensity: INTENSITY, init: e.init ?? null }, ps.entries());
    await saveEncoder(dir, net.encoder, { method: 'segment', intensity: INTENSITY });
    const dice = Object.entries(test.extra ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    ctx.log(`test: ${dice} [${ctx.compute.backend}]`);
    return { test, artifacts: { model: MODEL_DIR } };
  } finally {
    ps.dispose();
    optimizer.dispose();
  }
}
