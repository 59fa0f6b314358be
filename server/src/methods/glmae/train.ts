/**
 * `method: glmae` training loop: unlabelled volumes (the training split of a `volumes` dataset;
 * label maps, if given, are ignored), one GL-MAE step per batch of volumes, each loss term logged
 * every epoch on train and val, through the shared trainer (optimiser, schedule, weight decay,
 * checkpoints that resume exactly), and model/ with the encoder (for `init:`) and the full
 * student/teacher pair. The EMA teacher follows the student after every update.
 *
 * Randomness (views, masks, order) derives from (train.seed, epoch, step).
 *
 * With data.patch the volumes stay whole (at data.spacing) and each step cuts random patches of
 * glmae.volumeSize from them (data.patchesPerVolume per volume) instead of squashing every
 * volume to that size; the views are then taken from the patches.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { intensityOf, loadSegmentationDataset, type SegmentationDataset, type SegmentationSample } from '../../data/datasets';
import { train as trainPhases, type OpenPhase } from '../../training/trainer';
import { createRng, deriveSeed, type Rng } from '../../transforms/rng';
import type { RunContext, RunResult } from '../../training/types';
import { paramsCheckpointSlot, saveParams } from '../../networks/vit3dWeights';
import { saveEncoder } from '../../networks/vit3dIo';
import { makeBatch } from './batch';
import { GlmaeModel, type GlmaeTerms } from './model';
import { type GlmaeOptions, glmaeOptionsFromExperiment } from './options';
import type { Volume } from './volume';

export const GLMAE_FORMAT = 'medstudio-glmae';
export const MODEL_DIR = 'model';

export function volumeSizeOf(o: GlmaeOptions, configured: number): number {
  return configured > 0 ? configured : Math.round(1.5 * o.encoder.inputSize);
}

export async function openPretrainingData(ctx: Pick<RunContext, 'experiment'> & Partial<Pick<RunContext, 'log'>>, volumeSize: number): Promise<SegmentationDataset> {
  const e = ctx.experiment;
  if (e.data.format !== 'volumes') throw new Error(`${e.file}: method glmae needs data.format: volumes (got ${e.data.format})`);
  // A fixed split (data.split) keeps its val and test volumes out of pretraining too.
  return loadSegmentationDataset({
    path: e.data.path,
    size: volumeSize,
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    intensity: intensityOf(e),
    ...(e.data.split ? { manifest: e.data.split } : {}),
    ...(e.data.spacing ? { spacing: e.data.spacing } : {}),
    ...(e.data.patch ? { patch: true } : {}),
    ...(ctx.log ? { log: ctx.log } : {}),
  });
}

/** The inputs of one step: the volumes squashed to `size`, or with data.patch `n` random patches of `size` cut from them. */
async function volumesOf(ds: SegmentationDataset, samples: SegmentationSample[], size: number, n: number, rng: Rng): Promise<Volume[]> {
  const dims: [number, number, number] = [size, size, size];
  if (ds.patched) return (await ds.patches(samples, n, rng)).map((p) => ({ data: p.image, dims }));
  return Promise.all(samples.map(async (s) => ({ data: (await ds.load(s)).image, dims })));
}

function addTerms(sum: GlmaeTerms, t: GlmaeTerms): void {
  for (const k of Object.keys(sum) as (keyof GlmaeTerms)[]) sum[k] += t[k];
}

const zeroTerms = (): GlmaeTerms => ({ loss: 0, recGlobal: 0, recLocal: 0, g2g: 0, l2g: 0 });

export async function trainGlmae(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const o = glmaeOptionsFromExperiment(e);
  const volumeSize = volumeSizeOf(o, e.glmae.volumeSize);
  if (volumeSize < o.localSize) throw new Error(`${e.file}: glmae.volumeSize ${volumeSize} is smaller than glmae.localSize ${o.localSize}`);
  const ds = await openPretrainingData(ctx, volumeSize);
  const train = ds.split('train');
  const B = e.train.batchSize;
  // Volumes read per step: with patches, each gives data.patchesPerVolume of the batch.
  const V = ds.patched ? Math.ceil(B / Math.min(B, e.data.patchesPerVolume)) : B;
  const steps = Math.floor(train.length / V);
  if (steps === 0) throw new Error(`${e.file}: train.batchSize ${B} needs ${V} training volumes per step; there are ${train.length}`);
  const intensity = intensityOf(e);
  const model = new GlmaeModel(o);
  ctx.log(
    `glmae: ${train.length} unlabelled training volumes at ${volumeSize}^3, views ${o.encoder.inputSize}^3 global x2 + ${o.localViews} local ${o.localSize}^3, ` +
      `mask ${o.maskRatio}, ${model.student.count()} student parameters [${ctx.compute.backend}]`,
  );
  if (ds.patched) ctx.log(`glmae: random ${volumeSize}^3 patches from whole volumes${e.data.spacing ? ` resampled to ${e.data.spacing.join('x')} mm` : ''}, ${B} per step from ${V} volume(s)`);
  const viewOpts = { inputSize: o.encoder.inputSize, globalScale: o.globalScale, localViews: o.localViews, localSize: o.localSize, patchSize: o.encoder.patchSize, maskRatio: o.maskRatio };
  const E = e.train.epochs;
  let last = zeroTerms();
  // A batch is its step index: volumes are loaded only for the steps that run (not for those a resume skips).
  let order: number[] = [];
  const phase: OpenPhase<number> = {
    parts: { models: {}, optimizers: { student: paramsCheckpointSlot(model.student, 'GlmaeStudent'), teacher: paramsCheckpointSlot(model.teacher, 'GlmaeTeacher') } },
    decayed: model.student.entries().filter(([name]) => name.endsWith('/w')).map(([, v]) => v),
    batches: (epoch) => {
      order = createRng(deriveSeed(e.train.seed, epoch + 1)).shuffle([...train.keys()]);
      return { steps, iterate: Array.from({ length: steps }, (_, s) => s), dispose: () => undefined };
    },
    step: async (step, s) => {
      const stepSeed = deriveSeed(deriveSeed(e.train.seed, s.epoch + 1), step + 1);
      const vols = await volumesOf(ds, order.slice(step * V, (step + 1) * V).map((i) => train[i]!), volumeSize, B, createRng(deriveSeed(stepSeed, 0x9a7c)));
      const batch = makeBatch(vols, createRng(stepSeed), viewOpts);
      const { terms, grads } = await model.gradients(batch);
      const { loss, ...parts } = terms;
      return { loss, grads, parts };
    },
    afterUpdate: () => model.followTeacher(),
    endEpoch: async (sum) => {
      ctx.metrics({ split: 'train', epoch: sum.reportedEpoch, loss: sum.trainLoss, extra: { loss: sum.trainLoss, ...sum.parts, lr: sum.lr } });
      last = await validate(model, ds, volumeSize, viewOpts, e.train.seed, B, V);
      return { split: 'val', epoch: sum.reportedEpoch, loss: last.loss, extra: { ...last, lr: sum.lr } };
    },
  };
  try {
    const done = await trainPhases(ctx, [{ name: 'main', epochs: E, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };
    const dir = path.join(ctx.runDir, MODEL_DIR);
    await saveEncoder(dir, model.encoder, { method: 'glmae', intensity: typeof intensity === 'string' ? intensity : JSON.stringify(intensity) });
    const teacher = model.teacher.entries().map(([k, v]) => [`teacher/${k}`, v] as [string, tf.Tensor]);
    await saveParams(dir, 'glmae', GLMAE_FORMAT, { options: o, volumeSize, intensity, spacing: e.data.spacing ?? null, patch: ds.patched }, [...model.student.entries(), ...teacher]);
    ctx.log(`glmae: val loss ${last.loss.toFixed(4)} (rec global ${last.recGlobal.toFixed(4)}, rec local ${last.recLocal.toFixed(4)}, g2g ${last.g2g.toFixed(4)}, l2g ${last.l2g.toFixed(4)}) [${ctx.compute.backend}]`);
    return { test: { split: 'test', epoch: E, loss: last.loss, extra: { ...last } }, artifacts: { model: MODEL_DIR } };
  } finally {
    model.dispose();
  }
}

/** Loss terms on the validation volumes with fixed views and masks (comparable across epochs). */
async function validate(model: GlmaeModel, ds: SegmentationDataset, size: number, viewOpts: Parameters<typeof makeBatch>[2], seed: number, B: number, V: number): Promise<GlmaeTerms> {
  const val = ds.split('val');
  if (!val.length) return zeroTerms();
  const sums = zeroTerms();
  let n = 0;
  for (let i = 0; i < val.length; i += V) {
    const picked = val.slice(i, i + V);
    const vols = await volumesOf(ds, picked, size, Math.min(B, Math.ceil((B * picked.length) / V)), createRng(deriveSeed(seed, 0x9a7c + i)));
    addTerms(sums, await model.evaluate(makeBatch(vols, createRng(deriveSeed(seed, 0x7a1 + i)), viewOpts)));
    n++;
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) as unknown as GlmaeTerms;
}
