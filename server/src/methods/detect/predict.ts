/**
 * Running a trained detector: batches of inputs -> head maps -> boxes (decode.ts) in each image's
 * own pixels; the COCO metrics of a split; and the predictions as a COCO file whose boxes carry
 * `source: model` and their score, ready for review in the annotator.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '../../data/datasets';
import { writeCocoFile } from '../../data/boxes';
import type { CocoDataset } from '../../formats/coco';
import { detectionMetrics, type DetectionMetrics, type ScoredBox } from '../../metrics/detection';
import type { EvalMetrics } from '../../protocol';
import { decodeBoxes, toImagePixels, type DecodeOptions } from './decode';
import type { DetectionData, DetectionSample } from './dataset';

export type DecodeSettings = Omit<DecodeOptions, 'stride' | 'inputSize'>;

/** Head outputs of one batch [B, S, S, C] as plain arrays per image. */
export async function runHeads(model: tfl.LayersModel, x: tf.Tensor4D): Promise<{ size: number; heat: Float32Array; wh: Float32Array; offset: Float32Array }[]> {
  const [heat, wh, offset] = tf.tidy(() => {
    const out = model.apply(x, { training: false }) as tf.Tensor[];
    return [tf.sigmoid(out[1]!), out[2]!, out[3]!];
  });
  const f = heat!.shape[1]!;
  const cells = f * f;
  const [h, s, o] = (await Promise.all([heat!, wh!, offset!].map(readFloats)).finally(() => tf.dispose([heat!, wh!, offset!]))) as [Float32Array, Float32Array, Float32Array];
  return Array.from({ length: x.shape[0] }, (_, i) => ({
    size: f,
    heat: h.slice(i * cells, (i + 1) * cells),
    wh: s.slice(i * cells * 2, (i + 1) * cells * 2),
    offset: o.slice(i * cells * 2, (i + 1) * cells * 2),
  }));
}

/** Boxes in each sample's own pixels. */
export async function predictSamples(model: tfl.LayersModel, samples: readonly Pick<DetectionSample, 'x' | 'width' | 'height'>[], inputSize: number, channels: number, d: DecodeSettings, batchSize = 16): Promise<ScoredBox[][]> {
  const out: ScoredBox[][] = [];
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const flat = new Float32Array(chunk.length * inputSize * inputSize * channels);
    chunk.forEach((s, k) => flat.set(s.x, k * s.x.length));
    const x = tf.tensor4d(flat, [chunk.length, inputSize, inputSize, channels]);
    const maps = await runHeads(model, x).finally(() => x.dispose());
    maps.forEach((m, k) => {
      const boxes = decodeBoxes(m, { ...d, stride: inputSize / m.size, inputSize });
      out.push(toImagePixels(boxes, inputSize, chunk[k]!.width, chunk[k]!.height));
    });
  }
  return out;
}

export interface SplitEvaluation {
  metrics: EvalMetrics;
  detection: DetectionMetrics;
  predictions: { sample: DetectionSample; boxes: ScoredBox[] }[];
}

/** Flat metric names as metrics.jsonl records them (`extra`). */
export function detectionExtra(m: DetectionMetrics): Record<string, number> {
  return { ap50: m.ap50, ap75: m.ap75, ap: m.ap, recall: m.recall, ...m.recallAtFppi, truthBoxes: m.truthBoxes, detections: m.detections };
}

export async function evaluateDetections(model: tfl.LayersModel, data: DetectionData, split: Split, epoch: number, d: DecodeSettings, batchSize: number): Promise<SplitEvaluation> {
  const samples = data.samples.filter((s) => s.split === split);
  const boxes = await predictSamples(model, samples, data.inputSize, data.channels, d, batchSize);
  const detection = detectionMetrics(samples.map((s, i) => ({ truth: s.truth, detections: boxes[i]! })));
  return { metrics: { split, epoch, extra: detectionExtra(detection) }, detection, predictions: samples.map((sample, i) => ({ sample, boxes: boxes[i]! })) };
}

/**
 * The predictions as COCO: the data's images (file names relative to `cocoDir`), one category
 * `lesion` (the detector is class-agnostic), every box `source: model` with its score.
 */
export async function writePredictionsCoco(file: string, cocoDir: string, data: DetectionData, predictions: SplitEvaluation['predictions']): Promise<CocoDataset> {
  const path = await import('node:path');
  const ds: CocoDataset = { info: { description: 'MedStudio detector predictions', medstudio: { cocoFile: path.relative(cocoDir, data.cocoFile).split(path.sep).join('/') } }, images: [], annotations: [], categories: [{ id: 1, name: 'lesion' }] };
  let id = 1;
  for (const { sample, boxes } of predictions) {
    ds.images.push({ id: sample.imageId, file_name: path.relative(cocoDir, sample.file).split(path.sep).join('/'), width: sample.width, height: sample.height });
    for (const b of boxes) {
      // Floored to 1/100 pixel, so that rounding never puts a box edge past the image's border.
      const x = fl(b.bbox[0]);
      const y = fl(b.bbox[1]);
      const bbox: [number, number, number, number] = [x, y, fl(Math.min(sample.width, b.bbox[0] + b.bbox[2]) - x), fl(Math.min(sample.height, b.bbox[1] + b.bbox[3]) - y)];
      if (bbox[2] <= 0 || bbox[3] <= 0) continue;
      ds.annotations.push({ id: id++, image_id: sample.imageId, category_id: 1, bbox, area: r2(bbox[2] * bbox[3]), iscrowd: 0, source: 'model', score: Math.round(Math.min(1, Math.max(0, b.score)) * 1e4) / 1e4 });
    }
  }
  await writeCocoFile(file, ds);
  return ds;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const fl = (v: number) => Math.floor(v * 100) / 100;
