/**
 * `method: segment2d`: a 2D U-Net (networks/unet2d.ts, the 3D U-Net's blocks on one-slice inputs)
 * trained on image + mask pairs with deep-supervision Dice + CE (the 3D U-Net's loss), seeded
 * spatial and intensity augmentation moving image and mask together, on the one trainer
 * (train.optimizer, lr, schedule, weight decay, checkpoints, resume). Validation Dice and HD95
 * every epoch; at the end the test split's, both on each mask's own resolution (score.ts). Saves
 * model/segmenter.json, which predicts masks (model.ts) and gives CARE its segmentation boxes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { epochOrder, chunk } from '../../data/datasets/batches';
import { loadSegmentation2dDataset, type Segmentation2dDataset } from '../../data/datasets/segmentation2d';
import type { Experiment } from '../../experiment/types';
import { autoStages, Unet2d, type Unet2dConfig } from '../../networks/unet2d';
import { ParamStore } from '../../networks/vit3dParams';
import { paramsCheckpointSlot } from '../../networks/vit3dWeights';
import type { EvalMetrics } from '../../protocol';
import { matrixVariables } from '../../training/optim';
import { train as trainPhases, type OpenPhase } from '../../training/trainer';
import type { RunContext, RunResult } from '../../training/types';
import { augment, type AugmentOptions } from '../../transforms/augment';
import { createRng, deriveSeed } from '../../transforms/rng';
import { deepSupervisionStep } from '../segment/unetLoss';
import { saveSegment2dModel, SEGMENT2D_MODEL_DIR, type Segment2dMeta, type Segment2dModel } from './model';
import { scoreSamples } from './score';

/** Dermoscopy and other 2D images have no up: flips on both axes, any small rotation (MedStudio's choice). */
const AUGMENT: AugmentOptions = { flip: ['x', 'y'], shift: 0.05, rotate: 15, scale: [0.85, 1.15], brightness: 0.1, contrast: 0.1, colour: 0.05, noise: 0 };

export async function openSegment2dData(e: Experiment): Promise<Segmentation2dDataset> {
  if (e.data.format !== 'images') throw new Error(`${e.file}: method 'segment2d' reads data.format 'images' (a folder of images in data.path, their masks in data.labels), not '${e.data.format}'`);
  if (!e.data.labels) throw new Error(`${e.file}: method 'segment2d' needs data.labels: the folder of masks or label maps (<image stem>.png or <image stem>_<anything>.png)`);
  const channels = e.model.channels;
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new Error(`${e.file}: model.channels must be 1 or 3 for segment2d, got ${channels}`);
  return loadSegmentation2dDataset({
    path: e.data.path,
    labels: e.data.labels,
    size: e.model.inputSize,
    ...(channels ? { channels: channels as 1 | 3 } : {}),
    ...(e.data.classes ? { classes: e.data.classes } : {}),
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    ...(e.data.split ? { split: e.data.split } : {}),
  });
}

/** unet.features 0 (auto: the 3D U-Net plans it from the compute budget) keeps nnU-Net's 32 here. */
export function unet2dConfig(e: Experiment, ds: Segmentation2dDataset): Unet2dConfig {
  const stages = e.unet.stages || autoStages(ds.size);
  const divisor = 2 ** (stages - 1);
  if (ds.size % divisor) throw new Error(`${e.file}: model.inputSize ${ds.size} must be a multiple of ${divisor} for ${stages} U-Net stages (set unet.stages or another inputSize)`);
  return { channels: ds.channels, classes: ds.classes.length, features: e.unet.features || 32, maxFeatures: e.unet.maxFeatures, stages, block: e.unet.block, deepSupervision: e.unet.deepSupervision };
}

export async function trainSegment2d(ctx: RunContext): Promise<RunResult> {
  const e = ctx.experiment;
  const ds = await openSegment2dData(e);
  const config = unet2dConfig(e, ds);
  const train = ds.split('train');
  const [val, test] = [ds.split('val'), ds.split('test')];
  const ps = new ParamStore(e.train.seed);
  const net = new Unet2d(config, ps);
  const meta: Segment2dMeta = { unet: config, inputSize: ds.size, classes: ds.classes, largestComponent: e.unet.largestComponent, runId: ctx.runId };
  const live: Segment2dModel = { net, meta, dispose: () => undefined };
  const S = ds.size;
  const C = ds.channels;
  const B = Math.min(e.train.batchSize, train.length);
  ctx.log(
    `segment2d: ${train.length} training images, ${val.length} val, ${test.length} test; classes ${ds.classes.join(', ')}; ${S}x${S}x${C} input, ` +
      `U-Net ${config.stages} stages, features ${config.features}-${config.maxFeatures}, ${config.block} blocks, deep supervision ${config.deepSupervision ? 'on' : 'off'}, ` +
      `${ps.count()} parameters; batch ${B}, augmentation ${e.train.augment ? 'on' : 'off'} [${ctx.compute.backend}]`,
  );
  const vars = ps.variables();
  type Batch = number[];
  const loadBatch = async (idx: Batch, epoch: number, step: number) => {
    const x = new Float32Array(idx.length * S * S * C);
    const y = new Int32Array(idx.length * S * S);
    const rng = createRng(deriveSeed(deriveSeed(e.train.seed, epoch + 1), step + 1));
    for (let k = 0; k < idx.length; k++) {
      const { image, label } = await ds.load(train[idx[k]!]!);
      if (e.train.augment) {
        const r = augment({ data: image, shape: [1, S, S], channels: C }, rng, 2, AUGMENT, { data: Float32Array.from(label), shape: [1, S, S], channels: 1 });
        x.set(r.image.data, k * S * S * C);
        y.set(Int32Array.from(r.mask!.data), k * S * S);
      } else {
        x.set(image, k * S * S * C);
        y.set(label, k * S * S);
      }
    }
    return { x: tf.tensor4d(x, [idx.length, S, S, C]), y: tf.tensor4d(y, [idx.length, 1, S, S], 'int32') };
  };
  const phase: OpenPhase<Batch> = {
    parts: { models: {}, optimizers: { params: paramsCheckpointSlot(ps, 'Unet2dParams') } },
    decayed: matrixVariables(ps.entries()),
    batches: (epoch) => {
      // The order derives from (seed, epoch): a resumed run skips exactly the batches it trained on.
      const groups = chunk(epochOrder(train.map(() => 0), { shuffle: true, seed: e.train.seed, epoch }), B, true);
      return { steps: groups.length, iterate: groups, dispose: () => undefined };
    },
    step: async (idx, s) => {
      const b = await loadBatch(idx, s.epoch, s.step);
      try {
        return await deepSupervisionStep(() => net.forward(b.x, true), b.y, net.strides, vars);
      } finally {
        tf.dispose([b.x, b.y]);
      }
    },
    endEpoch: async (sum) => {
      const v = await scoreSamples(live, ds, val, ctx.signal);
      ctx.log(`epoch ${sum.reportedEpoch}: loss ${sum.trainLoss.toFixed(4)}, val Dice ${v.meanDice?.toFixed(3)}, val HD95 ${v.meanHD95?.toFixed(1)} px`);
      return { split: 'val', epoch: sum.reportedEpoch, classes: ds.classes, extra: { ...v, trainLoss: sum.trainLoss, ...sum.parts, lr: sum.lr } };
    },
  };
  try {
    const done = await trainPhases(ctx, [{ name: 'main', epochs: e.train.epochs, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };
    const t = await scoreSamples(live, ds, test, ctx.signal);
    const testMetrics: EvalMetrics = { split: 'test', epoch: e.train.epochs, classes: ds.classes, extra: t };
    ctx.metrics(testMetrics);
    await saveSegment2dModel(ctx.runDir, meta, ps);
    ctx.log(`test (${test.length} images, scored at each mask's own resolution${meta.largestComponent ? ', largest component' : ''}): Dice ${t.meanDice?.toFixed(3)}, HD95 ${t.meanHD95?.toFixed(1)} px${t.imagesPredictedEmpty ? `; ${t.imagesPredictedEmpty} image(s) with no foreground predicted (no HD95 for them)` : ''} [${ctx.compute.backend}]`);
    return { test: testMetrics, artifacts: { model: SEGMENT2D_MODEL_DIR } };
  } finally {
    ps.dispose();
  }
}
