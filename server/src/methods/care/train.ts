/**
 * CARE and its cross-entropy baseline (`method: supervised`) through one code path: phases
 * (cleaning rounds, main training with CARE's two stages, hi-res fine-tuning, classifier
 * re-training on the frozen backbone), then classifier weight normalisation, the test evaluation
 * (optionally with TTA), the final model and the report.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { classBalancedWeights, trainingInputMean, type ClassificationBatch, type ClassificationDataset } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import { buildResNetClassifier, defaultStages, wrapClassifier, type ResNetClassifier } from '../../networks/resnet';
import { buildMobileNetClassifier } from '../../networks/mobilenet';
import { initFromEncoderRun } from '../moco/initFrom';
import { saveModel } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { kernelVariables } from '../../training/optim';
import { train, type OpenPhase, type PhaseSpec } from '../../training/trainer';
import type { RunContext, RunResult } from '../../training/types';
import { balancePlan } from '../longtail/balance';
import { classifierGradients, classifierVariables, transferBackbone } from '../longtail/classifierRetrain';
import { flagSuspects, scoreLabels, suspectsReport, writeSuspectsReport } from '../longtail/cleaning';
import { heldOutIds, recordFold, roundFromJson, roundProbs, roundToJson, startRound, type OutOfFoldRound } from '../longtail/outOfFold';
import { transferWeights } from '../longtail/hiRes';
import { applyWeightNorm } from '../longtail/weightNorm';
import { prepareBoxes } from './boxSource';
import { openClassificationData, rareClassIndices, requireRareBoxes } from './dataset';
import { batchOptions, disposeInput, stepInput, type CareBatchPlan } from './batches';
import { evaluateSplit, predictSplit } from './evaluate';
import { careGradients } from './step';
import { planPhases, type Phase } from './phases';
import { writeCareReport } from './report';

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
export function modelMetadata(exp: Experiment, ds: ClassificationDataset, net: ResNetClassifier, rare: number[], runId: string, inputMean?: number[]): { medstudio: Record<string, unknown> } {
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
      classifierRetrainEpochs: exp.longtail.crtEpochs,
      tta: exp.longtail.tta,
      ...(inputMean ? { inputMean } : {}),
    },
  };
}

/** A fold phase of a cleaning round ended: its model scores the images it held out; after the last fold, the round flags suspects per class. */
async function scoreFold(ctx: RunContext, phase: Phase, round: OutOfFoldRound, net: ResNetClassifier, ds: ClassificationDataset, excluded: Set<string>): Promise<string | undefined> {
  const { fold, folds } = phase.heldOutFold!;
  const pred = await predictSplit(net, ds, 'train', { batchSize: ctx.experiment.train.batchSize });
  recordFold(round, fold, { ids: pred.samples.map((s) => s.id), probs: pred.probs });
  ctx.log(`${phase.name}: scored the ${heldOutIds(round, fold).size} training images this model did not train on`);
  if (fold < folds - 1) return undefined;
  const byId = new Map(pred.samples.map((s) => [s.id, s]));
  const items = round.ids.map((id, i) => {
    const s = byId.get(id)!;
    return { id, image: s.path ?? s.id, ...(s.imageId !== undefined ? { imageId: s.imageId } : {}), label: s.label, fold: round.folds[i]! + 1 };
  });
  const flagged = flagSuspects(scoreLabels(roundProbs(round), items, ds.classes.length), ctx.experiment.longtail.cleaningFraction);
  for (const f of flagged) excluded.add(f.id);
  const rel = path.join('cleaning', `round-${round.round}.suspects.json`);
  const report = suspectsReport(round.round, ds.classes, flagged, items.length, 'out-of-fold', folds);
  await writeSuspectsReport(path.join(ctx.runDir, rel), report);
  const perClass = Object.entries(report.removedPerClass).map(([c, n]) => `${c} ${n}`).join(', ');
  ctx.log(`clean${round.round}: out of fold (${folds} folds), flagged ${flagged.length} of ${items.length} training labels as suspect (${perClass}; ${rel}); they leave the loss from the next phase on`);
  return rel;
}

/** A classifier phase once open: its network, its data (the phase's input size) and the trainer's hooks. */
type ClassifierPhase = OpenPhase<ClassificationBatch> & { net: ResNetClassifier; ds: ClassificationDataset };

export async function trainClassifier(ctx: RunContext): Promise<RunResult> {
  const exp = ctx.experiment;
  const artifacts: Record<string, string> = {};
  const phases = planPhases(exp);
  const boxes = exp.method === 'care' ? await prepareBoxes(ctx) : { file: false as const };
  if (boxes.artifact) artifacts.boxes = boxes.artifact;
  const base = await openClassificationData(exp, { boxes: boxes.file });
  const rare = exp.method === 'care' ? rareClassIndices(exp, base) : [];
  ctx.log(`data: ${base.samples.length} images, ${base.classes.length} classes; ${base.imbalance}`);
  const boxed = exp.method === 'care' ? requireRareBoxes(exp, base, rare, boxes.file) : undefined;
  if (boxed) ctx.log(`CARE attends to ${boxed.map((b) => `${b.class} (${b.withBoxes} of ${b.images} training images with boxes)`).join(', ')}`);
  const plan = balancePlan(exp.train.balance, base.counts.train);
  const excluded = new Set<string>();
  // The cleaning round being scored (its folds span several phases).
  let round: OutOfFoldRound | undefined;
  let previous: ClassifierPhase | undefined;

  const specs = phases.map((phase, pi): PhaseSpec<ClassificationBatch> => {
    // cRT samples class-balanced whatever train.balance says (its point), without loss re-weighting.
    const phasePlan = phase.classifierOnly ? { samplerWeights: classBalancedWeights(base.counts.train) } : plan;
    const batchPlan: CareBatchPlan = { phaseIndex: pi, attention: phase.attention, rare: new Set(rare), excluded, ...phasePlan };
    return {
      name: phase.name,
      epochs: phase.epochs,
      epochOffset: phase.epochOffset,
      lr: phase.lr,
      open: async () => {
        const ds = phase.inputSize === base.inputShape[0] ? base : await openClassificationData(exp, { inputSize: phase.inputSize, boxes: boxes.file });
        const net = buildNet(exp, ds, phase.inputSize, exp.train.seed);
        // Stage 2 and hi-res fine-tuning start from the previous phase's weights (a resumed run loads them from its checkpoint instead).
        if (phase.from === 'previous' && previous) {
          if (phase.classifierOnly) transferBackbone(previous.net, net);
          else transferWeights(previous.net.model, net.model);
        } else if (phase.from === 'init') await initialiseFromRun(ctx, net);
        const hf = phase.heldOutFold;
        if (hf && round?.round !== hf.round) round = startRound(hf.round, base.split('train').filter((x) => !excluded.has(x.id)), hf.folds, base.classes.length, exp.train.seed);
        if (phase.classifierOnly) {
          const head = classifierVariables(net).length;
          ctx.log(`${phase.name}: classifier re-training: backbone frozen (${net.model.weights.length - head} weights, BatchNorm statistics included), classifier '${net.logitsLayer}' re-initialised (${head} weights) and trained ${phase.epochs} epochs with class-balanced sampling, lr ${phase.lr}`);
        }
        const open: ClassifierPhase = {
          net,
          ds,
          parts: { models: { net: net.model } },
          decayed: phase.classifierOnly ? kernelVariables(net.model.getLayer(net.logitsLayer).trainableWeights) : kernelVariables(net.model.trainableWeights),
          batches: (epoch) => {
            const o = { ...batchOptions(exp, batchPlan, epoch), ...(hf ? { skip: heldOutIds(round!, hf.fold) } : {}) };
            return { steps: ds.batchCount('train', o), iterate: ds.batches('train', o), dispose: (b) => tf.dispose([b.x, b.y, b.mask].filter((x): x is tf.Tensor => x !== undefined)) };
          },
          step: async (b) => {
            const input = await stepInput(exp, b, phase.inputSize, batchPlan);
            try {
              if (phase.classifierOnly) return await classifierGradients(net, input.x, input.y, input.itemWeights);
              const r = await careGradients(net, input);
              const parts: Record<string, number> = phase.attention ? { attentionLoss: r.attention } : {};
              return { loss: r.loss, grads: r.grads, parts };
            } finally {
              disposeInput(input);
            }
          },
          endEpoch: async (sum) => {
            const extra: Record<string, number> = { trainLoss: sum.trainLoss, stage: phase.attention ? 2 : 1, lr: sum.lr };
            if (phase.classifierOnly) extra.classifierRetrain = 1;
            if (phase.attention) extra.attentionLoss = sum.parts.attentionLoss ?? 0;
            if (!phase.reportMetrics) {
              ctx.log(`${phase.name}: epoch ${sum.epoch + 1}/${phase.epochs} train loss ${sum.trainLoss.toFixed(4)}`);
              return undefined;
            }
            const { metrics } = await evaluateSplit(net, ds, 'val', sum.reportedEpoch, { batchSize: exp.train.batchSize });
            return { ...metrics, extra };
          },
          state: () => ({ excluded: [...excluded], ...(round ? { round: roundToJson(round) } : {}) }),
          restore: (st) => {
            for (const id of (st.excluded as string[] | undefined) ?? []) excluded.add(id);
            if (st.round) round = roundFromJson(st.round as Record<string, unknown>);
          },
        };
        previous = open;
        return open;
      },
      done: async (open) => {
        if (!phase.heldOutFold) return;
        const rel = await scoreFold(ctx, phase, round!, (open as ClassifierPhase).net, (open as ClassifierPhase).ds, excluded);
        if (rel) artifacts[`suspects-clean${phase.heldOutFold.round}`] = rel;
      },
      close: (open) => (open as ClassifierPhase).net.dispose(),
    };
  });

  const done = (await train(ctx, specs)) as ClassifierPhase | undefined;
  if (!done) return { artifacts };
  const { net, ds } = done;
  try {
    applyWeightNorm(net.model, net.logitsLayer, exp.longtail.weightNorm);
    const epochs = phases.filter((p) => p.reportMetrics).reduce((a, p) => a + p.epochs, 0);
    const { metrics, predictions } = await evaluateSplit(net, ds, 'test', epochs, { batchSize: exp.train.batchSize, tta: exp.longtail.tta });
    if (boxed) metrics.extra = { ...metrics.extra, rareImagesWithBoxes: boxed.reduce((a, b) => a + b.withBoxes, 0) };
    ctx.metrics(metrics);
    await saveModel(path.join(ctx.runDir, RUN_FILES.model), net.model, { medstudio: { ...modelMetadata(exp, ds, net, rare, ctx.runId, await trainingInputMean(ds)).medstudio, ...(boxed ? { rareWithBoxes: boxed } : {}) } });
    artifacts.model = RUN_FILES.model;
    await writeCareReport(ctx, { net, ds, test: metrics, predictions, rare, ...(boxed ? { boxed } : {}) });
    artifacts.report = RUN_FILES.report;
    return { test: metrics, artifacts };
  } finally {
    net.dispose();
  }
}
