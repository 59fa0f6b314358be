/**
 * `medstudio predict` as a user meets it: a U-Net run's label map comes back in the input's own
 * grid and geometry, whatever the scan's axis order and spacing; a classification run writes a
 * CSV of probabilities; runs and inputs that cannot predict are refused with a reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readImage } from '../../../server/src/data/readers';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { Mat3, Vec3 } from '../../../server/src/formats/geometry';
import { predictRun } from '../../../server/src/predict/predictRun';
import { runExperiment } from '../../../server/src/runs/runner';
import { IDENTITY, tinyCase, writeTinyVolumes } from '../segment/tinyVolumes';
import { writeExperiment } from '../care/fixture';
import { makeSegFixture } from '../segment2d/fixture';
import { writeSegment2dPrediction } from '../../../server/src/methods/segment2d/predictFiles';

let dir = '';
let unetRun = '';

before(async () => {
  await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predict-'));
  writeTinyVolumes(dir);
  const exp = path.join(dir, 'unet.medstudio.yaml');
  fs.writeFileSync(
    exp,
    `method: segment
data: { format: volumes, path: volumes, labels: labels, classes: [background, front, back], split: split.csv }
model: { backbone: unet }
unet: { features: 4, maxFeatures: 8, stepsPerEpoch: 2, batchSize: 2, mirror: false }
train: { epochs: 1, seed: 3 }
`,
  );
  const r = await runExperiment(exp, { outDir: path.join(dir, 'runs') });
  assert.equal(r.info.state, 'finished');
  unetRun = r.info.runDir;
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const labelsOf = async (file: string) => Array.from((await readImage(file)).data);

test("a U-Net's label map has the input's own grid and geometry, and a reoriented scan gets the same labels on the same voxels", async () => {
  const c = tinyCase(2);
  const [d, h, w] = c.shape;
  const spacing: Vec3 = [1, 1, 1];
  const plain = path.join(dir, 'in', 'plain.nii');
  fs.mkdirSync(path.dirname(plain), { recursive: true });
  fs.writeFileSync(plain, encodeNifti({ data: c.image, dims: [w, h, d], spacing, origin: [5, 6, 7], direction: IDENTITY }));
  // The same scan stored another way: voxel axis i along world +y, j along +x, k along -z.
  const turned = new Int16Array(c.image.length);
  for (let k = 0; k < d; k++)
    for (let j = 0; j < w; j++)
      for (let i = 0; i < h; i++) turned[(k * w + j) * h + i] = c.image[((d - 1 - k) * h + i) * w + j]!;
  const direction: Mat3 = [0, 1, 0, 1, 0, 0, 0, 0, -1];
  const turnedFile = path.join(dir, 'in', 'turned.nii');
  fs.writeFileSync(turnedFile, encodeNifti({ data: turned, dims: [h, w, d], spacing, origin: [5, 6, 7 + (d - 1)], direction }));

  const out = path.join(dir, 'out');
  const s = await predictRun(unetRun, path.join(dir, 'in'), { outDir: out });
  assert.equal(s.kind, 'segmentation');
  assert.deepEqual(s.outputs.map((o) => path.basename(o.output!)), ['plain_seg.nii.gz', 'turned_seg.nii.gz']);
  const a = await readImage(path.join(out, 'plain_seg.nii.gz'));
  const b = await readImage(path.join(out, 'turned_seg.nii.gz'));
  assert.deepEqual(a.dims.slice(0, 3), [w, h, d]);
  assert.deepEqual(b.dims.slice(0, 3), [h, w, d]);
  assert.deepEqual(b.origin.map((v) => Math.round(v * 1e4) / 1e4), [5, 6, 7 + (d - 1)]);
  assert.deepEqual(b.direction.map((v) => Math.round(v)), direction);
  const la = await labelsOf(path.join(out, 'plain_seg.nii.gz'));
  const lb = await labelsOf(path.join(out, 'turned_seg.nii.gz'));
  let same = 0;
  for (let k = 0; k < d; k++)
    for (let j = 0; j < w; j++)
      for (let i = 0; i < h; i++) same += lb[(k * w + j) * h + i] === la[((d - 1 - k) * h + i) * w + j] ? 1 : 0;
  assert.equal(same, la.length, 'every voxel of the turned scan has the label of the same voxel of the plain one');
  assert.equal(Object.values(s.outputs[0]!.counts!).reduce((x, y) => x + y, 0), w * h * d);
});

test('a volume at another spacing is predicted on the plan grid and written back in its own', async () => {
  const c = tinyCase(0);
  const [d, h, w] = c.shape;
  // Twice as many slices at half the slice spacing: the plan's 1 mm grid sees the original size.
  const fine = new Int16Array(2 * d * h * w);
  for (let z = 0; z < 2 * d; z++) fine.set(c.image.subarray(Math.floor(z / 2) * h * w, (Math.floor(z / 2) + 1) * h * w), z * h * w);
  const file = path.join(dir, 'fine.nii');
  fs.writeFileSync(file, encodeNifti({ data: fine, dims: [w, h, 2 * d], spacing: [1, 1, 0.5], origin: [0, 0, 0], direction: IDENTITY }));
  const logs: string[] = [];
  const s = await predictRun(unetRun, file, { outDir: path.join(dir, 'out-fine'), log: (l) => logs.push(l) });
  const img = await readImage(s.outputs[0]!.output!);
  assert.deepEqual(img.dims.slice(0, 3), [w, h, 2 * d]);
  assert.deepEqual(img.spacing, [1, 1, 0.5]);
  assert.match(logs.join('\n'), new RegExp(`network grid ${d}x${h}x${w}`));
});

test('predict can be cancelled, and refuses what it cannot predict with a reason', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(predictRun(unetRun, path.join(dir, 'volumes', 'c1.nii'), { outDir: path.join(dir, 'x'), signal: ac.signal }), /cancelled/);
  const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
  await assert.rejects(predictRun(unetRun, empty, { outDir: path.join(dir, 'x') }), /no images in this folder/);
  await assert.rejects(predictRun(empty, path.join(dir, 'volumes'), { outDir: path.join(dir, 'x') }), /has no model that predicts/);
  // A detector also saves model/model.json: its output is boxes, never read as class probabilities.
  const detector = fs.mkdtempSync(path.join(dir, 'detect-'));
  fs.mkdirSync(path.join(detector, 'model'));
  fs.writeFileSync(path.join(detector, 'model', 'model.json'), '{}');
  fs.writeFileSync(path.join(detector, 'run.json'), JSON.stringify({ runId: 'd', method: 'detect', state: 'finished' }));
  await assert.rejects(predictRun(detector, path.join(dir, 'volumes'), { outDir: path.join(dir, 'x') }), /is a detection run/);

  const flat = path.join(dir, 'flat.nii');
  fs.writeFileSync(flat, encodeNifti({ data: new Int16Array(12 * 10), dims: [12, 10, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: IDENTITY }));
  await assert.rejects(predictRun(unetRun, flat, { outDir: path.join(dir, 'x') }), /2D image .* segments 3D volumes/);
});

test('a classification run writes predictions.csv with one row per image and probabilities that sum to 1', async () => {
  const samples = path.resolve('samples/skin-lesions');
  const exp = path.join(dir, 'cls.medstudio.yaml');
  fs.writeFileSync(exp, `method: supervised\ndata: { format: csv, path: ${path.join(samples, 'labels.csv')} }\nmodel: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }\ntrain: { epochs: 1, batchSize: 32, seed: 2 }\n`);
  const r = await runExperiment(exp, { outDir: path.join(dir, 'runs') });
  assert.equal(r.info.state, 'finished');
  const images = fs.readdirSync(path.join(samples, 'images')).sort().slice(0, 3);
  const folder = path.join(dir, 'skin');
  fs.mkdirSync(folder);
  for (const f of images) fs.copyFileSync(path.join(samples, 'images', f), path.join(folder, f));
  const s = await predictRun(r.info.runDir, folder, { outDir: path.join(dir, 'cls-out') });
  assert.equal(s.kind, 'classification');
  const rows = fs.readFileSync(s.table!, 'utf8').trim().split('\n');
  assert.equal(rows[0], ['file', 'predicted', ...s.classes.map((c) => `p_${c}`)].join(','));
  assert.equal(rows.length, 4);
  for (const row of rows.slice(1)) {
    const cells = row.split(',');
    assert.ok(s.classes.includes(cells[1]!), row);
    const sum = cells.slice(2).reduce((a, v) => a + Number(v), 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, row);
  }
});

test("a segment2d run's label map has the image's own size, and its lesion is where its explain mask puts it", async () => {
  const fx = makeSegFixture();
  try {
    const exp = writeExperiment(fx, 'seg', 'method: segment2d\ndata: { format: images, path: data/images, labels: data/masks }\nmodel: { inputSize: 32 }\nunet: { features: 8, maxFeatures: 32 }\ntrain: { epochs: 6, batchSize: 4, lr: 0.003, seed: 2 }\n');
    const r = await runExperiment(exp, { outDir: path.join(fx.root, 'runs') });
    assert.equal(r.info.state, 'finished');
    const image = path.join(fx.root, 'data', 'images', 'img-001.png');
    const s = await predictRun(r.info.runDir, image, { outDir: path.join(fx.root, 'pred') });
    assert.equal(s.kind, 'segmentation');
    const out = await readImage(s.outputs[0]!.output!);
    assert.deepEqual(out.dims.slice(0, 2), [32, 32]);
    const explained = await writeSegment2dPrediction(r.info.runDir, image, path.join(fx.root, 'explained'), 'img-001');
    const fg = Array.from(out.data).filter((v) => v === 1).length;
    assert.equal(fg, explained.pixels.foreground, 'the same pixels as the explain mask');
    assert.ok(fg > 10, `the lesion is in the label map (${fg} px)`);
  } finally {
    fs.rmSync(fx.root, { recursive: true, force: true });
  }
});
