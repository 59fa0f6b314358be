/**
 * 3D classification with a ViT encoder (`method: supervised` with `model.backbone: vit3d`),
 * optionally from a GL-MAE run (`init`): mean token -> layer norm -> head. The head is linear,
 * or an MLP when `model.hidden` is set. Cross-entropy through the shared trainer; the same metrics as the 2D
 * classifiers (classificationMetrics), checkpoints that resume exactly, model/ saved.
 *
 * The 2D `supervised` runner belongs to the CARE code; vit3dAware() wraps it so that
 * `supervised` experiments with `backbone: vit3d` come here and all others go on to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../../engine/tensorReads';
import * as path from 'node:path';
import { loadClassificationDataset, type ClassificationBatch, type ClassificationDataset, type Split } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import { classificationMetrics } from '../../metrics/classification';
import { declareDense, declareLayerNorm, dense, gelu, layerNorm } from '../../networks/vit3dBlocks';
import { Vit3dEncoder, meanToken } from '../../networks/vit3d';
import { saveEncoder, loadEncoderInto } from '../../networks/vit3dIo';
import { ParamStore } from '../../networks/vit3dParams';
import { paramsCheckpointSlot, saveParams } from '../../networks/vit3dWeights';
import type { EvalMetrics } from '../../protocol';
import { matrixVariables } from '../../training/optim';
import { train, type OpenPhase } from '../../training/trainer';
import type { MethodRunner, RunContext, RunResult } from '../../training/types';
import { segmentEncoderConfig } from './network';

export const CLASSIFIER_FORMAT = 'medstudio-vit3d-classifier';
const INTENSITY = 'auto';

export class Vit3dClassifier {
  readonly encoder: Vit3dEncoder;
  constructor(
    readonly e: Experiment,
    readonly classes: number,
    readonly ps: ParamStore,
  ) {
    const { config } = segmentEncoderConfig(e);
    this.encoder = new Vit3dEncoder(config, ps);
    const d = config.embedDim;
    declareLayerNorm(ps, 'head/norm', d);
    if (e.model.hidden) {
      declareDense(ps, 'head/fc1', d, e.model.hidden);
      declareDense(ps, 'head/out', e.model.hidden, classes);
    } else declareDense(ps, 'head/out', d, classes);
  }

  logits(x: tf.Tensor5D): tf.Tensor2D {
    return tf.tidy(() => {
      const f = layerNorm(this.ps, 'head/norm', meanToken(this.encoder.encode(x).tokens));
      const h = this.ps.has('head/fc1/w') ? gelu(dense(this.ps, 'head/fc1', f)) : f;
      return dense(this.ps, 'head/out', h) as tf.Tensor2D;
    });
  }
}

async function openData(e: Experiment): Promise<ClassificationDataset> {
  if (e.data.format === 'volumes' || e.data.format === 'coco') throw new Error(`${e.file}: 3D classification reads data.format csv, folder or npz (volumes are for segment/glmae)`);
  const ds = await loadClassificationDataset({
    format: e.data.format,
    path: e.data.path,
    classes: e.data.classes,
    inputSize: e.model.inputSize,
    channels: 1,
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    intensity: INTENSITY,
    boxes: false,
    labelled: e.data.labelled,
  });
  if (ds.spatialDims !== 3) throw new Error(`${e.file}: model.backbone vit3d needs 3D volumes; ${e.data.path} holds 2D images`);
  return ds;
}

async function evaluate(net: Vit3dClassifier, ds: ClassificationDataset, split: Split, batchSize: number, epoch: number): Promise<EvalMetrics> {
  const probs: number[] = [];
  const ys: number[] = [];
  let loss = 0;
  for await (const b of ds.batches(split, { batchSize, shuffle: false })) {
    const { p, l } = tf.tidy(() => {
      const logits = net.logits(b.x as tf.Tensor5D);
      return { p: tf.softmax(logits), l: tf.sum(tf.losses.softmaxCrossEntropy(tf.oneHot(b.y, ds.classes.length), logits, undefined, undefined, tf.Reduction.NONE)) };
    });
    const [pv, yv, lv] = await Promise.all([p.data(), b.y.data(), l.data()]).finally(() => tf.dispose([p, l, b.x, b.y]));
    probs.push(...pv);
    ys.push(...yv);
    loss += lv[0]!;
  }
  return classificationMetrics(probs, ys, ds.classes, split, epoch, ys.length ? loss / ys.length : undefined);
}

export async function trainVit3dClassifier(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const ds = await openData(e);
  const ps = new ParamStore(e.train.seed);
  const net = new Vit3dClassifier(e, ds.classes.length, ps);
  const { initFile } = segmentEncoderConfig(e);
  if (initFile) {
    loadEncoderInto(net.encoder, initFile);
    ctx.log(`encoder initialised from ${initFile}`);
  }
  const B = e.train.batchSize;
  const E = e.train.epochs;
  const vars = ps.variables();
  const phase: OpenPhase<ClassificationBatch> = {
    parts: { models: {}, optimizers: { params: paramsCheckpointSlot(ps, 'Vit3dClassifierParams') } },
    decayed: matrixVariables(ps.entries()),
    batches: (epoch) => {
      const o = { batchSize: B, shuffle: true, seed: e.train.seed, epoch, augment: e.train.augment };
      return { steps: ds.batchCount('train', o), iterate: ds.batches('train', o), dispose: (b) => tf.dispose([b.x, b.y]) };
    },
    step: async (b) => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(b.y, ds.classes.length), net.logits(b.x as tf.Tensor5D)) as tf.Scalar, vars);
      const [loss] = await readScalars(value).finally(() => tf.dispose([value, b.x, b.y]));
      return { loss: loss!, grads };
    },
    endEpoch: async (sum) => ({ ...(await evaluate(net, ds, 'val', B, sum.reportedEpoch)), extra: { trainLoss: sum.trainLoss, lr: sum.lr } }),
  };
  try {
    const done = await train(ctx, [{ name: 'main', epochs: E, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };
    const test = await evaluate(net, ds, 'test', B, E);
    ctx.metrics(test);
    const dir = path.join(ctx.runDir, 'model');
    await saveParams(dir, 'classifier', CLASSIFIER_FORMAT, { encoder: net.encoder.config, classes: ds.classes, hidden: e.model.hidden ?? null, intensity: INTENSITY, init: e.init ?? null }, ps.entries());
    await saveEncoder(dir, net.encoder, { method: 'supervised', intensity: INTENSITY });
    ctx.log(`test: accuracy ${test.accuracy?.toFixed(3)}, balanced ${test.balancedAccuracy?.toFixed(3)}, AUC ${test.auc?.toFixed(3)} [${ctx.compute.backend}]`);
    return { test, artifacts: { model: 'model' } };
  } finally {
    ps.dispose();
  }
}

/** `supervised` with backbone vit3d trains here; everything else goes to `runner` unchanged. */
export function vit3dAware(runner: MethodRunner): MethodRunner {
  return {
    ...runner,
    train: (ctx) => (ctx.experiment.model.backbone === 'vit3d' ? trainVit3dClassifier(ctx) : runner.train(ctx)),
  };
}
