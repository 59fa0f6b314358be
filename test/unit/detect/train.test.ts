/**
 * `method: detect` end to end on a tiny generated lesion set (one disc per 32 px image, its box
 * drawn by hand): the run learns to find the lesions (test AP@0.5 well above chance), writes its
 * model, metrics and COCO predictions with `source: model` and scores, evaluates again from the
 * run folder, explains with Grad-CAM on the trunk's feature map, starts from a classifier run's
 * weights with `init:`, and refuses data where nobody drew a box instead of reporting success.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readMetrics, readRunInfo, runExperiment, type RunEvent } from '../../../server/src/runs';
import { evaluateRun } from '../../../server/src/jobs/evaluate';
import { parseCoco } from '../../../server/src/formats/coco';
import { openRunModel } from '../../../server/src/explain/runModel';
import { gradCam } from '../../../server/src/explain/gradcam';
import { Explainer } from '../../../server/src/explain/explainer';
import { evaluate as evalCmd } from '../../../server/src/cli/commands/eval';
import { explain as explainCmd } from '../../../server/src/cli/commands/explain';
import type { CliIo } from '../../../server/src/cli/types';
import { openDetectionData } from '../../../server/src/methods/detect/dataset';
import { loadExperiment } from '../../../server/src/experiment/load';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { suggestBoxes } from '../../../server/src/boxes/suggest';
import { iou } from '../../../server/src/metrics/detection';
import { openRunDetector, rankByUncertainty, uncertainty } from '../../../server/src/methods/detect/fromRun';
import { makeLesionFixture, writeExperiment, type Fixture } from '../care/fixture';

const detectYaml = (extra = '') => `name: tiny detector
method: detect
data:
  format: coco
  path: data/boxes.coco.json
  split: data/labels.csv
model: { backbone: resnet, width: 4, depth: 1, inputSize: 32 }
train: { epochs: 16, batchSize: 8, lr: 0.01, seed: 2 }
${extra}`;

let fx: Fixture;
/** The run of the first test, for the annotator-facing tests after it. */
let trainedRun = '';
before(async () => {
  // wasm (with the native kernels where they built): the pure-JS cpu backend takes minutes for these runs.
  await ensureBackend({ backend: 'wasm', threads: 1 });
  fx = makeLesionFixture({ size: 32, perSplit: { train: [12, 12, 12], val: [2, 2, 2], test: [4, 4, 4] }, seed: 5 });
});

test('a detector trained on hand-drawn boxes finds the lesions and writes COCO predictions with source model and scores', async () => {
  const exp = writeExperiment(fx, 'detect', detectYaml());
  const before = tf.memory().numTensors;
  const run = await runExperiment(exp);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak across the run');
  const dir = run.info.runDir;
  trainedRun = dir;
  assert.equal(run.info.state, 'finished');
  for (const f of ['model/model.json', 'predictions.coco.json', 'metrics.jsonl', 'checkpoints/latest.json']) assert.ok(fs.existsSync(path.join(dir, f)), `${f} is missing`);
  const history = await readMetrics(dir);
  assert.deepEqual(history.map((m) => `${m.split}${m.epoch}`), [...Array.from({ length: 16 }, (_, i) => `val${i + 1}`), 'test16']);
  const t = history[history.length - 1]!.extra!;
  for (const k of ['ap50', 'ap75', 'ap', 'recall', 'recall@1fppi']) assert.ok(Number.isFinite(t[k]), `test ${k} = ${t[k]}`);
  assert.ok(t.ap50! >= 0.6, `test AP@0.5 ${t.ap50} should be far above chance on these easy lesions`);
  assert.ok(t.ap! <= t.ap50!);
  assert.ok(history[0]!.extra!.heatmapLoss! > history[15]!.extra!.heatmapLoss!, 'the heatmap loss fell');

  const preds = parseCoco(fs.readFileSync(path.join(dir, 'predictions.coco.json'), 'utf8'));
  assert.equal(preds.images.length, 12, 'one entry per test image');
  assert.ok(preds.annotations.length >= 12);
  assert.ok(preds.annotations.every((a) => a.source === 'model' && a.score !== undefined && a.score >= 0.05 && a.score <= 1));
  const img = preds.images[0]!;
  assert.ok(fs.existsSync(path.resolve(dir, img.file_name)), 'image paths are relative to the predictions file');

  const again = await evaluateRun(dir);
  assert.equal(again.extra!.ap50, t.ap50, 'evaluating the run folder gives the same test AP as the run');

  // The CLI as a user runs it: `medstudio eval` prints the detection figures, `medstudio explain` writes Grad-CAM of the lesion score.
  const lines: string[] = [];
  const io: CliIo = { json: false, out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false };
  const summary = (await evalCmd.run({ positionals: [dir, exp], values: {} }, io)) as { extra?: Record<string, number> };
  assert.equal(summary.extra?.ap50, t.ap50);
  assert.match(lines.join('\n'), /test \(detect.medstudio.yaml\): AP@0.5 \d\.\d{3}, AP@\[\.5:\.95\] \d\.\d{3}, recall \d\.\d{3}, recall at 0.5\/1\/2 false positives per image/);
  const out = path.join(fx.root, 'explain-out');
  const ex = (await explainCmd.run({ positionals: [dir, path.join(fx.root, 'data', [...fx.boxes.keys()][0]!)], values: { out, method: 'gradcam' } }, io)) as { files: string[]; className: string };
  assert.equal(ex.className, 'lesion');
  assert.ok(ex.files.length >= 1 && ex.files.every((f) => fs.existsSync(f)));

  // Explanations default to the trunk's feature map, not the last head conv (whose output the lesion score does not depend on).
  const explainer = new Explainer();
  assert.equal((await explainer.layers(dir)).defaultLayer, 'features');
  explainer.dispose();
  const rm = await openRunModel(dir);
  try {
    assert.deepEqual(rm.classes, ['background', 'lesion']);
    assert.equal(rm.featureLayer, 'features');
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1);
    const r = await gradCam(rm.model, x, 'features', 'gradcam', 1, rm.logitsLayer);
    assert.equal(r.cam.size, 64, 'the trunk\'s 8x8 map at 32 px');
    assert.ok(r.cam.dataSync().every(Number.isFinite));
    tf.dispose([x, r.cam]);
  } finally {
    rm.model.dispose();
  }
});

test("the annotator's Suggest Boxes with source model gives the detector's boxes in image pixels, and the queue orders images by its uncertainty", async () => {
  assert.ok(trainedRun, 'needs the first test\'s run');
  const [file, truth] = [...fx.boxes.entries()][0]!;
  const boxes = await suggestBoxes(path.join(fx.root, 'data', file), 'model', { runDir: trainedRun });
  assert.ok(boxes.length >= 1 && boxes.every((b) => b.source === 'model' && b.score >= 0.05 && b.score <= 1));
  assert.ok(Math.max(...boxes.map((b) => iou(b.bbox, truth))) > 0.3, `a suggestion overlaps the lesion ${truth}: ${JSON.stringify(boxes)}`);
  await assert.rejects(suggestBoxes(path.join(fx.root, 'data', file), 'model', { runDir: fx.root }), /has no trained detector/);

  assert.equal(uncertainty(0.5), 1);
  assert.equal(uncertainty(1), 0);
  assert.equal(uncertainty(0), 0);
  const files = [...fx.boxes.keys()].slice(0, 6).map((f) => path.join(fx.root, 'data', f));
  const det = await openRunDetector(trainedRun);
  try {
    const ranked = await rankByUncertainty(det, files);
    assert.deepEqual([...ranked.map((r) => r.imagePath)].sort(), [...files].sort());
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.uncertainty >= ranked[i]!.uncertainty);
    assert.ok(ranked.every((r) => Math.abs(r.uncertainty - uncertainty(r.topScore)) < 1e-12));
  } finally {
    det.dispose();
  }
});

test('init: copies a classifier run\'s trunk into the detector, and a run of another width is refused naming the weight', async () => {
  const cls = (width: number) => writeExperiment(fx, `cls${width}`, `method: supervised
data: { format: csv, path: data/labels.csv }
model: { backbone: resnet, width: ${width}, depth: 1, inputSize: 32 }
train: { epochs: 1, batchSize: 16, lr: 0.01, seed: 1 }
`);
  const base = await runExperiment(cls(4));
  const logs: string[] = [];
  const onEvent = (e: RunEvent) => e.kind === 'log' && logs.push(e.message);
  const run = await runExperiment(writeExperiment(fx, 'detect-init', detectYaml(`init: ${base.info.runDir}\n`).replace('epochs: 16', 'epochs: 1')), { onEvent });
  assert.equal(run.info.state, 'finished');
  const line = logs.find((l) => l.startsWith('init:'));
  assert.match(line ?? '', /init: \d+ weights copied from the classifier/);
  assert.ok(Number(/init: (\d+)/.exec(line!)![1]) >= 10);

  const wide = await runExperiment(cls(8));
  await assert.rejects(runExperiment(writeExperiment(fx, 'detect-wide', detectYaml(`init: ${wide.info.runDir}\n`).replace('epochs: 16', 'epochs: 1'))), /weight stem_conv\/kernel is \[3,3,3,8\] there but \[3,3,3,4\]/);
});

test('data where nobody drew or accepted a box is refused before training; accepted detector boxes are ground truth; unlabelled and excluded images are left out', async () => {
  const coco = JSON.parse(fs.readFileSync(fx.coco, 'utf8')) as { annotations: { source: string; score?: number }[] };
  for (const a of coco.annotations) Object.assign(a, { source: 'saliency', score: 0.5 });
  const file = path.join(fx.root, 'data', 'proposed.coco.json');
  fs.writeFileSync(file, JSON.stringify(coco));
  const exp = writeExperiment(fx, 'detect-unreviewed', detectYaml().replace('boxes.coco.json', 'proposed.coco.json'));
  let runDir = '';
  await assert.rejects(runExperiment(exp, { onRunCreated: (i) => (runDir = i.runDir) }), /none of its 54 images is labelled \(no box drawn or accepted, none marked reviewed\)/);
  assert.equal((await readRunInfo(runDir)).state, 'failed');
  // The same boxes proposed by a detector and accepted in the annotator are ground truth.
  for (const x of coco.annotations) Object.assign(x, { source: 'model', accepted: true });
  fs.writeFileSync(file, JSON.stringify(coco));
  const data = await openDetectionData(await loadExperiment(exp));
  assert.equal(data.counts.train.boxes, 36);
  assert.equal(data.unreviewed, 0);

  // Images without any box: unlabelled (left out) unless reviewed; a reviewed one is a negative; an excluded one is left out.
  const [a1, a2, a3] = coco.annotations.splice(0, 3) as unknown as { image_id: number }[];
  Object.assign(coco, { info: { medstudio: { review: { [a1!.image_id]: { status: 'reviewed' }, [a2!.image_id]: { status: 'excluded' } } } } });
  fs.writeFileSync(file, JSON.stringify(coco));
  const d2 = await openDetectionData(await loadExperiment(exp));
  assert.deepEqual([d2.samples.length, d2.unlabelled, d2.excluded], [52, 1, 1]);
  assert.deepEqual(d2.samples.find((x) => x.imageId === a1!.image_id)?.truth, [], 'the reviewed image without a box is a negative');
  assert.equal(d2.samples.some((x) => x.imageId === a3!.image_id), false);
});

test('a detector that proposes no box on any test image fails its run, saying it learned nothing usable', async () => {
  // A score threshold of 1 keeps no box: what an untrained or collapsed heatmap gives.
  const exp = writeExperiment(fx, 'detect-silent', detectYaml('detect: { scoreThreshold: 1 }\n').replace('epochs: 16', 'epochs: 1'));
  let runDir = '';
  await assert.rejects(runExperiment(exp, { onRunCreated: (i) => (runDir = i.runDir) }), /proposed no box above detect.scoreThreshold on any of the 12 test images: it learned nothing usable/);
  assert.equal((await readRunInfo(runDir)).state, 'failed');
});

test('an experiment file pairing detect with classification data (or COCO data with another method) is flagged at data.format', () => {
  const wrong = parseExperiment(detectYaml().replace('format: coco', 'format: csv'), path.join(fx.root, 'x.medstudio.yaml'));
  assert.match(wrong.problems.map((p) => p.message).join('\n'), /method 'detect' trains on COCO boxes: it needs data.format 'coco'/);
  assert.deepEqual(wrong.problems[0]!.path, ['data', 'format']);
  const other = parseExperiment(detectYaml().replace('method: detect', 'method: supervised'), path.join(fx.root, 'x.medstudio.yaml'));
  assert.match(other.problems.map((p) => p.message).join('\n'), /data.format 'coco' is the detector's box file: it needs method 'detect'/);
});
