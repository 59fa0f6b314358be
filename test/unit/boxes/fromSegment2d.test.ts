/**
 * CARE's boxes from a segment2d run (data.boxes: {source: segmentation, model: <run>}): the run's
 * masks on the training images become boxes around the lesions, recorded with their source and
 * model, and CARE trains with them; a folder that is not a segment2d run, and a run that finds no
 * lesion in the rare class's images, are refused with a message saying which.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateBoxes } from '../../../server/src/boxes/generate';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadExperiment } from '../../../server/src/experiment/load';
import { runExperiment } from '../../../server/src/runs/runner';
import { writeExperiment } from '../care/fixture';
import { makeSegFixture, type SegFixture } from '../segment2d/fixture';

let fx: SegFixture;
let empty: SegFixture;
let segRun = '';
let blindRun = '';

const segment2d = (epochs: number, lr: number) => `method: segment2d
data: { format: images, path: data/images, labels: data/masks }
model: { inputSize: 32 }
unet: { features: 8, maxFeatures: 32 }
train: { epochs: ${epochs}, batchSize: 4, lr: ${lr}, seed: 1 }
`;
const care = (model: string) => `method: care
data: { format: csv, path: data/labels.csv, rare: [rare], boxes: { source: segmentation, model: ${model} } }
model: { width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3 }
care: { stage1Epochs: 1 }
`;

function iou(a: number[], b: number[]): number {
  const ix = Math.max(0, Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!));
  return (ix * iy) / (a[2]! * a[3]! + b[2]! * b[3]! - ix * iy);
}

before(async () => {
  await ensureBackend({ threads: 1 });
  fx = makeSegFixture();
  const out = await runExperiment(writeExperiment(fx, 'seg', segment2d(8, 0.003)), { outDir: path.join(fx.root, 'runs') });
  assert.equal(out.info.state, 'finished', out.info.error);
  segRun = out.info.runDir;
  // Trained on masks with no lesion at all: it predicts background everywhere.
  empty = makeSegFixture({ empty: true });
  const blind = await runExperiment(writeExperiment(empty, 'blind', segment2d(3, 0.01).replace('data/masks }', 'data/masks, classes: [background, lesion] }')), { outDir: path.join(empty.root, 'runs') });
  assert.equal(blind.info.state, 'finished', blind.info.error);
  blindRun = blind.info.runDir;
});
after(() => {
  for (const f of [fx, empty]) if (f) fs.rmSync(f.root, { recursive: true, force: true });
});

test('a segment2d run\'s masks give boxes around the lesions, marked source segmentation with the run named', async () => {
  const exp = await loadExperiment(writeExperiment(fx, 'boxes', care(segRun)));
  const coco = await generateBoxes(exp, 'segmentation', fx.root);
  assert.equal(coco.images.length, fx.boxes.size);
  assert.deepEqual((coco.info as { medstudio: unknown }).medstudio, { source: 'segmentation', model: segRun });
  const ious = coco.annotations.map((a) => {
    const img = coco.images.find((i) => i.id === a.image_id)!;
    assert.equal(a.source, 'segmentation');
    assert.ok(a.score! > 0.5 && a.score! <= 1);
    return iou(a.bbox, fx.boxes.get(img.file_name.replace(/^data\//, ''))!);
  });
  assert.ok(coco.annotations.length >= fx.boxes.size - 2, `${coco.annotations.length} boxes for ${fx.boxes.size} images`);
  assert.ok(ious.reduce((a, b) => a + b, 0) / ious.length > 0.6, `mean IoU with the true boxes ${ious.join(', ')}`);
});

test('CARE trains with boxes from a segment2d run and says how many rare images they covered', async () => {
  const out = await runExperiment(writeExperiment(fx, 'care-seg', care(segRun)), { outDir: path.join(fx.root, 'runs') });
  assert.equal(out.info.state, 'finished', out.info.error);
  assert.ok(out.result!.test!.extra!.rareImagesWithBoxes! >= 3);
  const written = JSON.parse(fs.readFileSync(path.join(out.info.runDir, 'boxes.segmentation.coco.json'), 'utf8')) as { annotations: { source: string }[] };
  assert.ok(written.annotations.length > 0 && written.annotations.every((a) => a.source === 'segmentation'));
});

test('boxes.model that is not a segment2d run is refused, naming what it lacks', async () => {
  const exp = await loadExperiment(writeExperiment(fx, 'not-a-run', care('data')));
  await assert.rejects(generateBoxes(exp, 'segmentation', fx.root), /data.boxes.model must be a segment2d run.*is not a finished segment2d run: it has no model\/segmenter.json/);
  const fake = path.join(fx.root, 'fake-3d-run');
  fs.mkdirSync(path.join(fake, 'model'), { recursive: true });
  fs.writeFileSync(path.join(fake, 'model', 'segmenter.json'), JSON.stringify({ format: 'medstudio-unet3d', modelTopology: {}, weightsManifest: [] }));
  const exp3d = await loadExperiment(writeExperiment(fx, 'unet3d-run', care(fake)));
  await assert.rejects(generateBoxes(exp3d, 'segmentation', fx.root), /must be a segment2d run.*format is 'medstudio-unet3d', expected 'medstudio-unet2d'/);
});

test('CARE refuses a segment2d run that finds no lesion in the rare class\'s images instead of training without attention', async () => {
  const exp = writeExperiment(fx, 'care-blind', care(blindRun));
  await assert.rejects(runExperiment(exp, { outDir: path.join(fx.root, 'runs') }), /rare class 'rare' \(0 of 4 training images\) has no lesion box \(boxes.source 'segmentation' from the segment2d run .*which found no lesion in them/);
});
