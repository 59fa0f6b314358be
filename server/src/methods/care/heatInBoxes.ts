/**
 * Where a trained classifier looks, measured: the share of its Grad-CAM heat (true class, min-max
 * normalised per image, as CARE's loss sees it) that falls inside each test image's lesion boxes,
 * averaged over the images of the given classes that have a box. Uniform heat scores the boxes'
 * area share, which comes with it. CARE's claim is that this share rises for the rare classes.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { boxMask, type ClassificationDataset, type Split } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import { wrapClassifier, type ResNetClassifier } from '../../networks/resnet';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { openClassificationData } from './dataset';
import { gradCamMaps } from './gradcam';

export interface HeatInBoxes {
  /** Mean share of the heat inside the boxes. */
  share: number;
  /** Mean share of the image the boxes cover (what uniform heat scores). */
  area: number;
  images: number;
}

export async function heatInBoxes(net: ResNetClassifier, ds: ClassificationDataset, split: Split, classes: ReadonlySet<number>): Promise<HeatInBoxes> {
  const size = net.options.inputSize;
  let share = 0;
  let area = 0;
  let images = 0;
  for (const s of ds.split(split)) {
    const boxes = ds.boxesOf(s);
    if (!classes.has(s.label) || boxes.length === 0) continue;
    const m = boxMask(boxes, size);
    const x = tf.tensor4d(await ds.load(s), [1, size, size, net.options.channels]);
    const cam = (await gradCamMaps(net, x, [s.label])).cams[0]!;
    x.dispose();
    let inside = 0;
    let total = 0;
    for (let k = 0; k < cam.length; k++) {
      total += cam[k]!;
      inside += cam[k]! * m[k]!;
    }
    share += total > 0 ? inside / total : 0;
    area += m.reduce((a, v) => a + v, 0) / m.length;
    images++;
  }
  if (!images) throw new Error(`no ${split} image of the classes asked for has a lesion box: nothing to measure the Grad-CAM heat against`);
  return { share: share / images, area: area / images, images };
}

/** heatInBoxes for a finished classifier run, on the test images of `classNames`, with the boxes of its data (boxes.coco.json beside it, or data.boxes.path). */
export async function runHeatInBoxes(runDir: string, exp: Experiment, classNames: readonly string[]): Promise<HeatInBoxes> {
  const dir = path.join(runDir, RUN_FILES.model);
  const meta = (await readModelMetadata(dir)).medstudio as { classes: string[]; inputSize: number; channels: number; width: number; depth: number; stages?: number };
  const ds = await openClassificationData({ ...exp, model: { ...exp.model, inputSize: meta.inputSize } }, { boxes: exp.data.boxes?.source === 'manual' ? exp.data.boxes.path : undefined });
  const net = wrapClassifier(await loadModel(dir), { ...meta, numClasses: meta.classes.length });
  try {
    return await heatInBoxes(net, ds, 'test', new Set(classNames.map((c) => meta.classes.indexOf(c))));
  } finally {
    net.dispose();
  }
}
