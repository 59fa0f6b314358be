/**
 * `method: segment` with `model.backbone: unet`: a convolutional 3D U-Net configured from the
 * data (unetPlan.ts) and trained nnU-Net's way — patches at the data's own resolution with a
 * share forced onto foreground, spatial and intensity augmentation, deep-supervision Dice + CE,
 * SGD with Nesterov momentum (or Adam) on the poly schedule; validation Dice by sliding windows
 * every epoch, and at the end test Dice and HD95 per class with mirroring test-time augmentation
 * (and the largest-component option). Writes fingerprint.json and plan.json into the run and the
 * values used into its experiment.json; checkpoints resume exactly.
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
import { saveCheckpoint, type CheckpointParts } from '../../runs/checkpoint';
import { RUN_FILES } from '../../runs/runDir';
import { reportStep, resumePoint } from '../../training/loop';
import type { RunContext, RunResult } from '../../training/types';
import { augment, type AugmentOptions } from '../../transforms/augment';
import { createRng, deriveSeed } from '../../transforms/rng';
import { prepareUnetData, type PreparedCase, type UnetData } from './unetData';
import { deepSupervisionLoss } from './unetLoss';
import { makeOptimizer, polyLr } from './unetOptim';
import { networkConfig } from './unetPlan';
import { predictCase, scoreCase, summarise, type CaseScores } from './unetPredict';

export const UNET_FORMAT = 'medstudio-unet3d';
const MODEL_DIR = 'model';

const AUGMENT: AugmentOptions = { flip: ['x', 'y', 'z'], shift: 0, rotate: 15, scale: [0.85, 1.25], brightness: 0.1, contrast: 0.15, noise: 0.05 };

/** The experiment with the plan's choices filled into `unet`, as the run's record. */
export function resolvedExperiment(e: Experiment, d: UnetData): Experiment {
  const p = d.plan;
  return { ...e, unet: { ...e.unet, patch: p.patch, spacing: p.spacing, normalisation: p.normalisation, stages: p.strides.length, batchSize: p.batchSize } };
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
  const d = await prepareUnetData(e, ctx.log);
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
      `batch ${plan.batchSize} (${src('batchSize')}, ~${plan.estimatedMB} MB), features ${e.unet.features}-${e.unet.maxFeatures}, ${e.unet.block} blocks, ${ps.count()} parameters, ` +
      `${e.unet.optimizer} lr ${e.unet.lr} poly, ${e.unet.stepsPerEpoch} steps/epoch [${ctx.compute.backend}]`,
  );
  const { optimizer, setLr } = makeOptimizer(e.unet.optimizer, e.unet.lr);
  const parts: CheckpointParts = { models: {}, optimizers: { [e.unet.optimizer]: optimizer, params: paramsCheckpointSlot(ps, 'Unet3dParams') } };
  const sampler = new PatchSampler({ patch: plan.patch, foreground: e.unet.foreground });
  const B = plan.batchSize;
  const E = e.train.epochs;
  const S = e.unet.stepsPerEpoch;
  const vars = ps.variables();
  const [pd, ph, pw] = plan.patch;
  const pv = pd * ph * pw;
  try {
    const start = await resumePoint(ctx, parts);
    for (let epoch = start.epoch; epoch < E; epoch++) {
      const t0 = performance.now();
      const first = epoch === start.epoch ? start.step : 0;
      const sums = { loss: 0, dice: 0, ce: 0, n: 0 };
      let step = first;
      for (; step < S && !ctx.signal.aborted; step++) {
        // Every step's draws derive from (seed, epoch, step): a resumed run repeats them exactly.
        const rng = createRng(deriveSeed(deriveSeed(e.train.seed, epoch + 1), step + 1));
        const picked = Array.from({ length: B }, () => train[rng.int(train.length)]!);
        const patches = sampler.batch(picked, rng);
        const x = new Float32Array(B * pv);
        const y = new Int32Array(B * pv);
        patches.forEach((p, k) => {
          if (e.train.augment) {
            const r = augment({ data: p.image, shape: plan.patch, channels: 1 }, rng, 3, AUGMENT, { data: Float32Array.from(p.label!), shape: plan.patch, channels: 1 });
            x.set(r.image.data, k * pv);
            y.set(Int32Array.from(r.mask!.data), k * pv);
          } else {
            x.set(p.image, k * pv);
            y.set(p.label!, k * pv);
          }
        });
        setLr(polyLr(e.unet.lr, epoch * S + step, E * S));
        const xt = tf.tensor5d(x, [B, pd, ph, pw, 1]);
        const yt = tf.tensor4d(y, [B, pd, ph, pw], 'int32');
        let terms: tf.Tensor1D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const r = deepSupervisionLoss(net.forward(xt, true), yt, plan.strides);
          terms = tf.keep(tf.stack([r.loss, r.dice, r.ce]) as tf.Tensor1D);
          return r.loss;
        }, vars);
        optimizer.applyGradients(grads);
        const [loss, dice, ce] = Array.from(terms!.dataSync());
        tf.dispose([value, terms!, xt, yt, ...Object.values(grads)]);
        if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}: lower unet.lr`);
        sums.loss += loss!;
        sums.dice += dice!;
        sums.ce += ce!;
        sums.n++;
        await reportStep(ctx, { epoch, epochs: E, step: step + 1, steps: S, firstStep: first, startedAt: t0, batchSize: B, loss: loss! });
      }
      if (ctx.signal.aborted) {
        await saveCheckpoint(ctx.runDir, parts, { epoch, step });
        ctx.log(`stopped at epoch ${epoch + 1}, step ${step}; checkpoint written`);
        return { artifacts: {} };
      }
      const c = Math.max(sums.n, 1);
      const extra = { trainLoss: sums.loss / c, trainDiceLoss: sums.dice / c, trainCE: sums.ce / c, lr: polyLr(e.unet.lr, (epoch + 1) * S, E * S) };
      const v = val.length ? await evaluateCases(net, d, val, e, false, ctx.signal) : {};
      const m: EvalMetrics = { split: 'val', epoch: epoch + 1, classes: d.classes, extra: { ...v, ...extra } };
      ctx.metrics(m);
      if ((epoch + 1) % e.train.checkpointEvery === 0 || epoch + 1 === E) await saveCheckpoint(ctx.runDir, parts, { epoch: epoch + 1, step: 0 });
    }
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
    optimizer.dispose();
  }
}
