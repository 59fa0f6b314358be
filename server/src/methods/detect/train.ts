/**
 * `method: detect`: a CenterNet-style lesion detector trained on COCO boxes through the shared
 * trainer (optimiser, schedule, weight decay, checkpoints, resume), AP on val every epoch, then
 * on test at the end; the model under model/, the test predictions as COCO (`source: model`).
 *
 * A run that learned nothing says so: no boxes to train on is refused before training, and a
 * final model with no box above the score threshold on any test image fails the run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import * as path from 'node:path';
import type { Experiment } from '../../experiment/types';
import type { EvalMetrics } from '../../protocol';
import { loadModel, readModelMetadata, saveModel } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { createRng, deriveSeed } from '../../transforms/rng';
import { kernelVariables } from '../../training/optim';
import { train, type OpenPhase } from '../../training/trainer';
import type { RunContext, RunResult } from '../../training/types';
import { openDetectionData, type DetectionData, type DetectionSample } from './dataset';
import { initDetectorFrom } from './initFrom';
import { detectionLoss, type DetectionTargets } from './loss';
import { buildDetector, type Detector } from './network';
import { evaluateDetections, writePredictionsCoco, type DecodeSettings, type SplitEvaluation } from './predict';
import { centerTargets } from './targets';

export const PREDICTIONS_FILE = 'predictions.coco.json';

interface DetectBatch {
  x: tf.Tensor4D;
  t: DetectionTargets;
}

export function decodeSettings(e: Experiment): DecodeSettings {
  return { scoreThreshold: e.detect.scoreThreshold, nmsIou: e.detect.nmsIou, maxDetections: e.detect.maxDetections };
}

/** A batch: inputs (mirrored left-right with p = 0.5 when train.augment, boxes with them) and CenterNet targets. */
export function makeBatch(samples: readonly DetectionSample[], det: Detector, channels: number, flips: readonly boolean[]): DetectBatch {
  const S = det.options.inputSize;
  const f = det.featureSize;
  const n = samples.length;
  const x = new Float32Array(n * S * S * channels);
  const heat = new Float32Array(n * f * f);
  const wh = new Float32Array(n * f * f * 2);
  const offset = new Float32Array(n * f * f * 2);
  const mask = new Float32Array(n * f * f);
  samples.forEach((s, i) => {
    const flip = flips[i] ?? false;
    if (!flip) x.set(s.x, i * s.x.length);
    else
      for (let r = 0; r < S; r++)
        for (let c = 0; c < S; c++)
          for (let k = 0; k < channels; k++) x[i * s.x.length + (r * S + c) * channels + k] = s.x[(r * S + (S - 1 - c)) * channels + k]!;
    const boxes = flip ? s.inputBoxes.map((b) => [S - b[0] - b[2], b[1], b[2], b[3]] as const) : s.inputBoxes;
    const t = centerTargets(boxes, f, det.stride);
    heat.set(t.heat, i * f * f);
    mask.set(t.mask, i * f * f);
    wh.set(t.wh, i * f * f * 2);
    offset.set(t.offset, i * f * f * 2);
  });
  return {
    x: tf.tensor4d(x, [n, S, S, channels]),
    t: { heat: tf.tensor4d(heat, [n, f, f, 1]), wh: tf.tensor4d(wh, [n, f, f, 2]), offset: tf.tensor4d(offset, [n, f, f, 2]), mask: tf.tensor4d(mask, [n, f, f, 1]) },
  };
}

function disposeBatch(b: DetectBatch): void {
  tf.dispose([b.x, b.t.heat, b.t.wh, b.t.offset, b.t.mask]);
}

export function detectorMetadata(e: Experiment, det: Detector, data: DetectionData, runId: string): Record<string, unknown> {
  return {
    medstudio: {
      kind: 'detector',
      method: 'detect',
      runId,
      backbone: det.options.backbone,
      inputSize: det.options.inputSize,
      channels: det.options.channels,
      width: det.options.width,
      depth: det.options.depth,
      featureSize: det.featureSize,
      stride: det.stride,
      intensity: 'auto',
      // Explanations: det_score (the heatmap's maximum, one sigmoid unit) is the "lesion" score.
      classes: ['background', 'lesion'],
      featureLayer: 'features',
      logitsLayer: 'det_score',
      decode: decodeSettings(e),
      cocoFile: data.cocoFile,
    },
  };
}

function backboneOf(e: Experiment): 'resnet' | 'mobilenet' {
  const b = e.model.backbone ?? 'resnet';
  if (b !== 'resnet' && b !== 'mobilenet') throw new Error(`${e.file}: the detector is 2D: model.backbone must be resnet or mobilenet (got ${b})`);
  return b;
}

export async function trainDetector(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const data = await openDetectionData(e);
  const c = data.counts;
  ctx.log(`detect: ${data.samples.length} images (train ${c.train.images} with ${c.train.boxes} boxes, val ${c.val.images} with ${c.val.boxes}, test ${c.test.images} with ${c.test.boxes}) from ${data.cocoFile}${data.unreviewed ? `; ${data.unreviewed} proposed box(es) nobody accepted are not ground truth` : ''}${data.unlabelled ? `; ${data.unlabelled} unlabelled image(s) (no box, not marked reviewed) left out` : ''}${data.excluded ? `; ${data.excluded} excluded in review` : ''}`);
  if (!c.train.boxes) throw new Error(`${data.cocoFile}: the training split has no boxes drawn or accepted by a person (source: manual, or accepted: true), so there is nothing to learn; draw boxes in the annotator first`);
  if (!c.test.boxes) ctx.log('warning: the test split has no boxes: test AP cannot be measured');
  const det = buildDetector({ backbone: backboneOf(e), inputSize: data.inputSize, channels: data.channels, width: e.model.width, depth: e.model.depth, seed: e.train.seed });
  ctx.log(`detector: ${det.options.backbone} width ${det.options.width} depth ${det.options.depth}, ${data.inputSize} px input, ${det.featureSize}x${det.featureSize} heatmap (stride ${det.stride}) [${ctx.compute.backend}]`);
  if (e.init && !ctx.resuming) {
    const { copied, kind } = await initDetectorFrom(det.model, e.init);
    ctx.log(`init: ${copied.length} weights copied from the ${kind} in ${e.init}`);
  }
  const B = e.train.batchSize;
  const train0 = data.samples.filter((s) => s.split === 'train');
  const d = decodeSettings(e);
  const vars = det.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const phase: OpenPhase<DetectBatch> = {
    parts: { models: { net: det.model } },
    decayed: kernelVariables(det.model.trainableWeights),
    batches: (epoch) => {
      // Order and flips derive from (seed, epoch), so a resumed run skips exactly the batches it trained on.
      const rng = createRng(deriveSeed(e.train.seed, epoch + 1));
      const order = rng.shuffle(train0.map((_, i) => i));
      const steps = Math.ceil(order.length / B);
      function* iterate(): Generator<DetectBatch> {
        for (let s = 0; s < steps; s++) {
          const idx = order.slice(s * B, (s + 1) * B);
          yield makeBatch(
            idx.map((i) => train0[i]!),
            det,
            data.channels,
            idx.map(() => e.train.augment && rng.chance(0.5)),
          );
        }
      }
      return { steps, iterate: iterate(), dispose: disposeBatch };
    },
    step: async (b) => {
      let parts: tf.Tensor1D | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = det.model.apply(b.x, { training: true }) as tf.Tensor4D[];
        const r = detectionLoss(out[1]!, out[2]!, out[3]!, b.t);
        parts = tf.keep(tf.stack([r.loss, r.focal, r.size, r.offset]) as tf.Tensor1D);
        return r.loss;
      }, vars);
      const [loss, focal, size, offset] = Array.from(
        await readFloats(parts!).finally(() => {
          tf.dispose([value, parts!]);
          disposeBatch(b);
        }),
      );
      return { loss: loss!, grads, parts: { heatmapLoss: focal!, sizeLoss: size!, offsetLoss: offset! } };
    },
    endEpoch: async (sum) => {
      const extra = { trainLoss: sum.trainLoss, ...sum.parts, lr: sum.lr };
      if (!c.val.images) return { split: 'val', epoch: sum.reportedEpoch, extra };
      const v = await evaluateDetections(det.model, data, 'val', sum.reportedEpoch, d, B);
      ctx.log(`epoch ${sum.reportedEpoch}: train loss ${sum.trainLoss.toFixed(4)}, val AP@0.5 ${fmt(v.detection.ap50)}, AP@[.5:.95] ${fmt(v.detection.ap)}`);
      return { ...v.metrics, extra: { ...v.metrics.extra, ...extra } };
    },
  };
  try {
    const done = await train(ctx, [{ name: 'main', epochs: e.train.epochs, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };
    const test = await evaluateDetections(det.model, data, 'test', e.train.epochs, d, B);
    await saveModel(path.join(ctx.runDir, RUN_FILES.model), det.model, detectorMetadata(e, det, data, ctx.runId));
    await writePredictionsCoco(path.join(ctx.runDir, PREDICTIONS_FILE), ctx.runDir, data, test.predictions);
    ctx.metrics(test.metrics);
    refuseIfSilent(test, c.test.images);
    ctx.log(`test: AP@0.5 ${fmt(test.detection.ap50)}, AP@[.5:.95] ${fmt(test.detection.ap)}, recall ${fmt(test.detection.recall)} (${test.detection.detections} boxes on ${test.detection.images} images) [${ctx.compute.backend}]`);
    return { test: test.metrics, artifacts: { model: RUN_FILES.model, predictions: PREDICTIONS_FILE } };
  } finally {
    det.model.dispose();
  }
}

/** A detector that finds nothing on any test image did not learn to detect: the run fails, saying why. */
function refuseIfSilent(r: SplitEvaluation, images: number): void {
  if (images && r.detection.detections === 0) {
    throw new Error(`the detector proposed no box above detect.scoreThreshold on any of the ${images} test images: it learned nothing usable (train longer, raise train.lr, or draw more boxes); the model and its empty predictions are in the run folder for inspection`);
  }
}

const fmt = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(3));

/** `medstudio eval`: the run's detector on the test split of `exp`'s data. */
export async function evaluateDetectorRun(runDir: string, exp: Experiment): Promise<EvalMetrics> {
  const dir = path.join(runDir, RUN_FILES.model);
  const meta = (await readModelMetadata(dir)).medstudio as { kind?: string; inputSize?: number; channels?: number } | undefined;
  if (meta?.kind !== 'detector') throw new Error(`${dir}: not a MedStudio detector (model metadata kind '${String(meta?.kind)}')`);
  const data = await openDetectionData({ ...exp, model: { ...exp.model, inputSize: meta.inputSize ?? exp.model.inputSize, ...(meta.channels ? { channels: meta.channels } : {}) } });
  const model = await loadModel(dir);
  try {
    const r = await evaluateDetections(model, data, 'test', 0, decodeSettings(exp), exp.train.batchSize);
    refuseIfSilent(r, data.counts.test.images);
    return r.metrics;
  } finally {
    model.dispose();
  }
}
