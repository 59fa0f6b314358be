/**
 * `method: segment` with `model.backbone: unet`: a convolutional 3D U-Net configured from the
 * data (unetPlan.ts) and trained nnU-Net's way — patches at the data's own resolution with a
 * share forced onto foreground, spatial and intensity augmentation, deep-supervision Dice + CE,
 * SGD with Nesterov momentum (or Adam) on the poly schedule; validation Dice by sliding windows
 * every epoch, and at the end test Dice and HD95 per class with mirroring test-time augmentation
 * (and the largest-component option). Writes fingerprint.json and plan.json into the run and the
 * values used into its experiment.json. Trains on the one trainer (training/trainer.ts), which owns
 * the optimiser and schedule from `train.*` (for the U-Net SGD with Nesterov momentum 0.99, lr 0.01,
 * poly, unless the experiment says otherwise: experiment/backboneDefaults.ts), weight decay,
 * checkpoints and exact resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../data/atomicWrite';
import { PatchSampler } from '../../data/volumes/patchSampler';
import type { Experiment } from '../../experiment/types';
import { Unet3d } from '../../networks/unet3d';
import { ParamStore } from '../../networks/vit3dParams';
import { paramsCheckpointSlot, saveParams } from '../../networks/vit3dWeights';
import type { EvalMetrics } from '../../protocol';
import { RUN_FILES } from '../../runs/runDir';
import { matrixVariables } from '../../training/optim';
import { train as trainPhases, type OpenPhase } from '../../training/trainer';
import type { RunContext, RunResult } from '../../training/types';
import { augment, type AugmentOptions } from '../../transforms/augment';
import { createRng, deriveSeed } from '../../transforms/rng';
import { prepareUnetData, type PreparedCase, type UnetData } from './unetData';
import { deepSupervisionStep } from './unetLoss';
import { networkConfig, planCompute } from './unetPlan';
import { predictCase, scoreCase, summarise, type CaseScores } from './unetPredict';

export const UNET_FORMAT = 'medstudio-unet3d';
const MODEL_DIR = 'model';

/** The training patches' augmentation; the patches are z-scored (or CT-normalised), not [0, 1] images. */
export const UNET_AUGMENT: AugmentOptions = { flip: ['x', 'y', 'z'], shift: 0, rotate: 15, scale: [0.85, 1.25], brightness: 0.1, contrast: 0.15, noise: 0.05, intensity: 'zscore' };

/** The experiment with the plan's choices filled into `unet`, as the run's record. */
export function resolvedExperiment(e: Experiment, d: UnetData): Experiment {
  const p = d.plan;
  return { ...e, unet: { ...e.unet, patch: p.patch, spacing: p.spacing, normalisation: p.normalisation, stages: p.strides.length, batchSize: p.batchSize, features: p.features } };
}

async function evaluateCases(net: Unet3d, d: UnetData, cases: PreparedCase[], e: Experiment, tta: boolean, signal?: AbortSignal): Promise<Record<string, number>> {
  const scores: CaseScores[] = [];
  for (const c of cases) {
    const pred = await predictCase(net, c, { patch: d.plan.patch, classes: d.classes.length, mirror: tta && e.unet.mirror, overlap: e.unet.overlap, largestComponent: tta && e.unet.largestComponent, batchSize: 2, signal });
    scores.push(scoreCase(pred, c.label!, c.shape, c.spacing, d.classes.length));
  }
  return summarise(scores, d.classes);
}

export async function trainUnet(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const d = await prepareUnetData(e, planCompute(ctx.compute.backend), ctx.log);
  const { plan } = d;
  await writeFileAtomic(path.join(ctx.runDir, 'fingerprint.json'), JSON.stringify(d.fingerprint, null, 2) + '\n');
  await writeFileAtomic(path.join(ctx.runDir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');
  if (fs.existsSync(path.join(ctx.runDir, RUN_FILES.experiment))) await writeFileAtomic(path.join(ctx.runDir, RUN_FILES.experiment), JSON.stringify(resolvedExperiment(e, d), null, 2) + '\n');
  const split = (s: PreparedCase['split']) => d.cases.filter((c) => c.split === s);
  const [train, val, test] = [split('train'), split('val'), split('test')];
  const config = networkConfig(plan, e.unet, d.classes.length);
  const ps = new ParamStore(e.train.seed);
  const net = new Unet3d(config, ps);
  const src = (k: keyof typeof plan.source) => plan.source[k];
  ctx.log(
    `unet: ${train.length} training cases, ${val.length} val, ${test.length} test; classes ${d.classes.join(', ')}; spacing ${plan.spacing.join('x')} mm (${src('spacing')}), ` +
      `normalisation ${plan.normalisation} (${src('normalisation')}), patch ${plan.patch.join('x')} (${src('patch')}), ${plan.strides.length} stages (${src('stages')}), ` +
      `batch ${plan.batchSize} (${src('batchSize')}, ~${plan.estimatedMB} MB), features ${plan.features}-${plan.maxFeatures} (${src('features')}), ${e.unet.block} blocks, ${ps.count()} parameters, ` +
      `${e.unet.stepsPerEpoch} steps/epoch [${ctx.compute.backend}]`,
  );
  const sampler = new PatchSampler({ patch: plan.patch, foreground: e.unet.foreground });
  const B = plan.batchSize;
  const E = e.train.epochs;
  const S = e.unet.stepsPerEpoch;
  const vars = ps.variables();
  const [pd, ph, pw] = plan.patch;
  const pv = pd * ph * pw;
  type Batch = { x: tf.Tensor5D; y: tf.Tensor4D };
  /** Step `step` of `epoch`: its draws derive from (seed, epoch, step), so a resumed run repeats them exactly. */
  const drawBatch = (epoch: number, step: number): Batch => {
    const rng = createRng(deriveSeed(deriveSeed(e.train.seed, epoch + 1), step + 1));
    const picked = Array.from({ length: B }, () => train[rng.int(train.length)]!);
    const patches = sampler.batch(picked, rng);
    const x = new Float32Array(B * pv);
    const y = new Int32Array(B * pv);
    patches.forEach((p, k) => {
      if (e.train.augment) {
        const r = augment({ data: p.image, shape: plan.patch, channels: 1 }, rng, 3, UNET_AUGMENT, { data: Float32Array.from(p.label!), shape: plan.patch, channels: 1 });
        x.set(r.image.data, k * pv);
        y.set(Int32Array.from(r.mask!.data), k * pv);
      } else {
        x.set(p.image, k * pv);
        y.set(p.label!, k * pv);
      }
    });
    return { x: tf.tensor5d(x, [B, pd, ph, pw, 1]), y: tf.tensor4d(y, [B, pd, ph, pw], 'int32') };
  };
  const phase: OpenPhase<number> = {
    parts: { models: {}, optimizers: { params: paramsCheckpointSlot(ps, 'Unet3dParams') } },
    decayed: matrixVariables(ps.entries()),
    // A batch is its step index: patches are drawn only for the steps that run (not for those a resume skips).
    batches: () => ({ steps: S, iterate: Array.from({ length: S }, (_, i) => i), dispose: () => undefined }),
    step: async (step, s) => {
      const b = drawBatch(s.epoch, step);
      try {
        return await deepSupervisionStep(() => net.forward(b.x, true), b.y, plan.strides, vars);
      } finally {
        tf.dispose([b.x, b.y]);
      }
    },
    endEpoch: async (sum) => {
      const v = val.length ? await evaluateCases(net, d, val, e, false, ctx.signal) : {};
      return { split: 'val', epoch: sum.reportedEpoch, classes: d.classes, extra: { ...v, trainLoss: sum.trainLoss, ...sum.parts, lr: sum.lr } };
    },
  };
  try {
    const done = await trainPhases(ctx, [{ name: 'main', epochs: E, epochOffset: 0, open: async () => phase }], {
      settings: { ...e.train, batchSize: B },
    });
    if (!done) return { artifacts: {} };
    const t1 = performance.now();
    const testScores = await evaluateCases(net, d, test, e, true, ctx.signal);
    const testMetrics: EvalMetrics = { split: 'test', epoch: E, classes: d.classes, extra: { ...testScores, inferenceSeconds: (performance.now() - t1) / 1000 } };
    ctx.metrics(testMetrics);
    const dir = path.join(ctx.runDir, MODEL_DIR);
    await saveParams(dir, 'segmenter', UNET_FORMAT, { unet: config, plan, classes: d.classes, fingerprint: d.fingerprint, mirror: e.unet.mirror, overlap: e.unet.overlap, largestComponent: e.unet.largestComponent }, ps.entries());
    const summary = Object.entries(testScores).map(([k, val]) => `${k} ${val.toFixed(3)}`).join(', ');
    ctx.log(`test (${test.length} cases, sliding window${e.unet.mirror ? ', mirroring TTA' : ''}${e.unet.largestComponent ? ', largest component' : ''}): ${summary} [${ctx.compute.backend}]`);
    return { test: testMetrics, artifacts: { model: MODEL_DIR, fingerprint: 'fingerprint.json', plan: 'plan.json' } };
  } finally {
    ps.dispose();
  }
}
