/**
 * CARE and its cross-entropy baseline (`method: supervised`) through one code path: phases
 * (cleaning rounds, main training with CARE's two stages, hi-res fine-tuning), then classifier
 * weight normalisation, the test evaluation (optionally with TTA), the final model and the report.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { trainingInputMean, type ClassificationDataset } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import { buildResNetClassifier, defaultStages, wrapClassifier, type ResNetClassifier } from '../../networks/resnet';
import { buildMobileNetClassifier } from '../../networks/mobilenet';
import { initFromEncoderRun } from '../moco/initFrom';
import { restoreCheckpoint, readCheckpointState } from '../../runs/checkpoint';
import { truncateMetricsAfter } from '../../runs/runDir';
import { saveModel } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import type { RunContext, RunResult } from '../../training/types';
import { balancePlan } from '../longtail/balance';
import { flagSuspects, scoreLabels, suspectsReport, writeSuspectsReport } from '../longtail/cleaning';
import { transferWeights } from '../longtail/hiRes';
import { applyWeightNorm } from '../longtail/weightNorm';
import { prepareBoxes } from './boxSource';
import { openClassificationData, rareClassIndices } from './dataset';
import { runEpochs, type CareState } from './epochs';
import { evaluateSplit, predictSplit } from './evaluate';
import { planPhases, type Phase } from './phases';
import { writeCareReport } from './report';

export function makeOptimizer(exp: Experiment, lr: number): tf.Optimizer {
  return exp.train.optimizer === 'sgd' ? tf.train.momentum(lr, exp.train.momentum) : tf.train.adam(lr);
}

export function buildNet(exp: Experiment, ds: ClassificationDataset, inputSize: number, seed: number): ResNetClassifier {
  const options = {
    inputSize,
    channels: ds.inputShape[ds.inputShape.length - 1]!,
    width: exp.model.width,
    depth: exp.model.depth,
    // Fixed by the base size, so hi-res fine-tuning keeps the same layers.
    stages: defaultStages(exp.model.inputSize),
    numClasses: ds.classes.length,
    seed,
  };
  // A MobileNet classifier (e.g. to fine-tune a DisCo student) has the same layer names and outputs.
  if (exp.model.backbone === 'mobilenet') return wrapClassifier(buildMobileNetClassifier(options), options);
  return buildResNetClassifier(options);
}

/**
 * `init: <run dir>`: starts from a MoCo teacher's or a DisCo student's encoder (weights copied by
 * layer name; the classifier head keeps its initialisation). Only for a fresh run: a resumed run
 * loads its own checkpoint instead.
 */
export async function initialiseFromRun(ctx: RunContext, net: ResNetClassifier): Promise<void> {
  const init = ctx.experiment.init;
  if (!init) return;
  const copied = await initFromEncoderRun(net.model, init);
  ctx.log(`init: ${copied.length} encoder weights copied from ${init}`);
}

/** Model metadata saved in model.json (userDefinedMetadata), read back by eval and explanations. */
export function modelMetadata(exp: Experiment, ds: ClassificationDataset, net: ResNetClassifier, rare: number[], runId: string, inputMean?: number[]): Record<string, unknown> {
  return {
    medstudio: {
      kind: 'classifier',
      method: exp.method,
      runId,
      classes: ds.classes,
      rare: rare.map((i) => ds.classes[i]),
      inputSize: net.options.inputSize,
      channels: net.options.channels,
      width: net.options.width,
      depth: net.options.depth,
      stages: net.options.stages,
      outputs: ['features', 'logits'],
      featureLayer: net.featureLayer,
      logitsLayer: net.logitsLayer,
      weightNorm: exp.longtail.weightNorm,
      tta: exp.longtail.tta,
      ...(inputMean ? { inputMean } : {}),
    },
  };
}

async function cleaningRound(ctx: RunContext, phase: Phase, round: number, net: ResNetClassifier, ds: ClassificationDataset, excluded: Set<string>): Promise<string> {
  const pred = await predictSplit(net, ds, 'train', { batchSize: ctx.experiment.train.batchSize });
  const items = pred.samples.map((s) => ({ id: s.id, image: s.path ?? s.id, ...(s.imageId !== undefined ? { imageId: s.imageId } : {}), label: s.label }));
  const kept = items.map((it, i) => [it, i] as const).filter(([it]) => !excluded.has(it.id));
  const k = ds.classes.length;
  const probs = new Float32Array(kept.length * k);
  kept.forEach(([, i], j) => probs.set(pred.probs.subarray(i * k, (i + 1) * k), j * k));
  const flagged = flagSuspects(
    scoreLabels(
      probs,
      kept.map(([it]) => it),
      k,
    ),
    ctx.experiment.longtail.cleaningFraction,
  );
  for (const f of flagged) excluded.add(f.id);
  const rel = path.join('cleaning', `round-${round}.suspects.json`);
  await writeSuspectsReport(path.join(ctx.runDir, rel), suspectsReport(round, ds.classes, flagged, kept.length));
  ctx.log(`${phase.name}: flagged ${flagged.length} of ${kept.length} training labels as suspect (${rel}); they leave the loss from the next round on`);
  return rel;
}

export async function trainClassifier(ctx: RunContext): Promise<RunResult> {
  const exp = ctx.experiment;
  const artifacts: Record<string, string> = {};
  const boxes = exp.method === 'care' ? await prepareBoxes(ctx) : { file: false as const };
  if (boxes.artifact) artifacts.boxes = boxes.artifact;
  const base = await openClassificationData(exp, { boxes: boxes.file });
  const rare = exp.method === 'care' ? rareClassIndices(exp, base) : [];
  ctx.log(`data: ${base.samples.length} images, ${base.classes.length} classes; ${base.imbalance}`);
  if (exp.method === 'care') ctx.log(`CARE attends to ${rare.map((i) => base.classes[i]).join(', ')}`);
  const plan = balancePlan(exp.train.balance, base.counts.train);
  const phases = planPhases(exp);

  const saved = ctx.resuming ? await readCheckpointState(ctx.runDir) : undefined;
  const savedExtra = saved?.extra as unknown as CareState | undefined;
  const excluded = new Set<string>(savedExtra?.excluded ?? []);
  const first = savedExtra ? phases.findIndex((p) => p.name === savedExtra.phase) : 0;
  if (first < 0) throw new Error(`${ctx.runDir}: the checkpoint is from phase '${savedExtra?.phase}', which this experiment does not have`);

  let net: ResNetClassifier | undefined;
  let ds = base;
  for (let pi = first; pi < phases.length; pi++) {
    const phase = phases[pi]!;
    const pds = phase.inputSize === base.inputShape[0] ? base : await openClassificationData(exp, { inputSize: phase.inputSize, boxes: boxes.file });
    const next = buildNet(exp, pds, phase.inputSize, exp.train.seed);
    const optimizer = makeOptimizer(exp, phase.lr);
    let start: Parameters<typeof runEpochs>[5]['start'] = { epoch: 0, step: 0 };
    if (pi === first && saved) {
      const loaded = await restoreCheckpoint(ctx.runDir, { models: { net: next.model }, optimizers: { net: optimizer } });
      if (!loaded) throw new Error(`${ctx.runDir}: the run has no checkpoint to resume from`);
      for (const n of loaded.notes) ctx.log(n);
      const extra = loaded.extra as unknown as CareState | undefined;
      // An older checkpoint than readCheckpointState saw (the newest failed to load) must be from the same phase.
      if (extra?.phase !== savedExtra?.phase) throw new Error(`${loaded.dir}: the checkpoint that loaded is from phase '${extra?.phase}', not '${savedExtra?.phase}'; ${loaded.notes.join('; ')}`);
      if (loaded.notes.length) await truncateMetricsAfter(ctx.runDir, loaded.epoch);
      start = { epoch: loaded.epoch, step: loaded.step, sums: extra! };
    } else if (phase.name === 'hires' && net) {
      transferWeights(net.model, next.model);
    } else {
      // Every phase that starts a fresh network (cleaning rounds, main training) starts from `init`.
      await initialiseFromRun(ctx, next);
    }
    net?.dispose();
    net = next;
    ds = pds;
    const done = await runEpochs(ctx, phase, net, optimizer, pds, { phaseIndex: pi, rare: new Set(rare), excluded, ...plan, start });
    optimizer.dispose();
    if (!done || ctx.signal.aborted) {
      net.dispose();
      return { artifacts };
    }
    if (phase.name.startsWith('clean')) {
      artifacts[`suspects-${phase.name}`] = await cleaningRound(ctx, phase, Number(phase.name.slice(5)), net, pds, excluded);
    }
  }
  if (!net) throw new Error('no training phase ran');

  applyWeightNorm(net.model, net.logitsLayer, exp.longtail.weightNorm);
  const epochs = phases.filter((p) => p.reportMetrics).reduce((a, p) => a + p.epochs, 0);
  const { metrics, predictions } = await evaluateSplit(net, ds, 'test', epochs, { batchSize: exp.train.batchSize, tta: exp.longtail.tta });
  ctx.metrics(metrics);
  await saveModel(path.join(ctx.runDir, RUN_FILES.model), net.model, modelMetadata(exp, ds, net, rare, ctx.runId, await trainingInputMean(ds)));
  artifacts.model = RUN_FILES.model;
  await writeCareReport(ctx, { net, ds, test: metrics, predictions, rare });
  artifacts.report = RUN_FILES.report;
  net.dispose();
  return { test: metrics, artifacts };
}
