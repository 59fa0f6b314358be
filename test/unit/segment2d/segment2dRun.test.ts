/**
 * `method: segment2d` end to end on generated image + mask pairs: the U-Net learns the lesions
 * (test Dice and HD95 on the masks' own grid in the run's metrics), the saved model evaluates to
 * the same figures through the method's evaluator, a cancelled run resumes to the same result,
 * and bad data is refused with the file named.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadExperiment } from '../../../server/src/experiment/load';
import { Explainer } from '../../../server/src/explain/explainer';
import { methodRunner } from '../../../server/src/methods';
import { runExperiment } from '../../../server/src/runs/runner';
import { writeExperiment } from '../care/fixture';
import { makeSegFixture, writeSplit, type SegFixture } from './fixture';

let fx: SegFixture;

const exp = (extra = '') => `method: segment2d
data: { format: images, path: data/images, labels: data/masks, split: data/split.csv }
model: { inputSize: 32 }
unet: { features: 8, maxFeatures: 32 }
train: { epochs: 8, batchSize: 4, lr: 0.003, seed: 1${extra} }
`;

before(async () => {
  await ensureBackend({ threads: 1 });
  fx = makeSegFixture();
  writeSplit(fx);
});
after(() => fs.rmSync(fx.root, { recursive: true, force: true }));

test('segment2d learns the lesions: test Dice and HD95 at the masks\' resolution, and the saved model evaluates to the same', async () => {
  const file = writeExperiment(fx, 'seg', exp());
  const out = await runExperiment(file, { outDir: path.join(fx.root, 'runs') });
  assert.equal(out.info.state, 'finished', out.info.error);
  const t = out.result!.test!;
  assert.equal(t.split, 'test');
  assert.deepEqual(t.classes, ['background', 'foreground']);
  assert.ok(t.extra!.meanDice! > 0.6, `test Dice ${t.extra!.meanDice}`);
  assert.ok(t.extra!.meanHD95! < 6, `test HD95 ${t.extra!.meanHD95} px`);
  assert.equal(t.extra!.images, 6);
  const lines = fs.readFileSync(path.join(out.info.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; extra: Record<string, number> });
  assert.equal(lines.filter((l) => l.split === 'val').length, 8, 'one validation per epoch');
  assert.ok(lines.every((l) => l.split !== 'val' || Number.isFinite(l.extra.trainLoss)));
  assert.ok(fs.existsSync(path.join(out.info.runDir, 'model', 'segmenter.json')));

  const e = await loadExperiment(file);
  const m = await methodRunner('segment2d').evaluate!(out.info.runDir, e, { experiment: e, runDir: out.info.runDir, runId: 'x', compute: out.info as never, signal: new AbortController().signal, metrics: () => undefined, progress: () => undefined, log: () => undefined });
  assert.equal(m.extra!.meanDice!.toFixed(6), t.extra!.meanDice!.toFixed(6));
  assert.equal(m.extra!.meanHD95!.toFixed(6), t.extra!.meanHD95!.toFixed(6));

  // The palette's Grad-CAM says what the run is instead of "has training finished?".
  const explainer = new Explainer();
  try {
    await assert.rejects(explainer.gradCam({ runDir: out.info.runDir, imagePath: path.join(fx.root, 'data', 'images', 'img-001.png') }), /holds a segmentation U-Net \(model\/segmenter.json\)/);
  } finally {
    explainer.dispose();
  }
});

test('a cancelled segment2d run resumes from its checkpoint to the same test figures as an uninterrupted one', async () => {
  const short = exp().replace('epochs: 8', 'epochs: 3');
  const whole = await runExperiment(writeExperiment(fx, 'whole', short), { outDir: path.join(fx.root, 'runs') });
  const ac = new AbortController();
  let steps = 0;
  const cut = await runExperiment(writeExperiment(fx, 'cut', short), { outDir: path.join(fx.root, 'runs'), signal: ac.signal, onEvent: (e) => e.kind === 'progress' && ++steps === 7 && ac.abort() });
  assert.equal(cut.info.state, 'cancelled');
  const resumed = await runExperiment(undefined, { resume: cut.info.runDir });
  assert.equal(resumed.info.state, 'finished', resumed.info.error);
  const [a, b] = [whole.result!.test!.extra!, resumed.result!.test!.extra!];
  for (const k of ['meanDice', 'meanHD95']) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-6, `${k}: ${a[k]} vs ${b[k]}`);
});

test('segment2d refuses data it cannot pair or read, naming the file', async () => {
  const noMasks = writeExperiment(fx, 'nolabels', exp().replace(', labels: data/masks', ''));
  await assert.rejects(runExperiment(noMasks, { outDir: path.join(fx.root, 'runs') }), /needs data.labels/);
  const csv = writeExperiment(fx, 'csvformat', exp().replace('format: images, path: data/images', 'format: csv, path: data/labels.csv'));
  await assert.rejects(runExperiment(csv, { outDir: path.join(fx.root, 'runs') }), /reads data.format 'images'/);
  const lonely = path.join(fx.root, 'data', 'images', 'zz-no-mask.png');
  fs.copyFileSync(path.join(fx.root, 'data', 'images', 'img-001.png'), lonely);
  try {
    await assert.rejects(runExperiment(writeExperiment(fx, 'lonely', exp().replace(', split: data/split.csv', '')), { outDir: path.join(fx.root, 'runs') }), /has no mask for 1 image\(s\): zz-no-mask.png/);
  } finally {
    fs.rmSync(lonely);
  }
  const maskFile = path.join(fx.masks, 'img-001_lesion.png');
  const kept = fs.readFileSync(maskFile);
  fs.writeFileSync(maskFile, PNG.sync.write(new PNG({ width: 16, height: 16 })));
  try {
    await assert.rejects(runExperiment(writeExperiment(fx, 'small-mask', exp()), { outDir: path.join(fx.root, 'runs') }), /img-001_lesion.png: is 16x16, its image .*img-001.png is 32x32/);
  } finally {
    fs.writeFileSync(maskFile, kept);
  }
  const three = writeExperiment(fx, 'three', exp().replace('split: data/split.csv', 'split: data/split.csv, classes: [background, a, b]'));
  await assert.rejects(runExperiment(three, { outDir: path.join(fx.root, 'runs') }), /pixel value 255 is not a class index 0..2/);
});
