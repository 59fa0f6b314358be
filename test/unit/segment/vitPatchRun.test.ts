/**
 * The ViT segmenter and GL-MAE on volumes larger than their input, end to end through the
 * runner: with data.patch and data.spacing the segmenter trains on patches and reports test Dice
 * from sliding windows over whole resampled volumes (and records how its inputs were prepared);
 * GL-MAE pretrains on random patches; without data.patch the log says the volumes are squashed.
 * `predict` takes the patch-trained ViT (label maps in the input's own grid, whatever its axis
 * order) and refuses the squashing one with its reason.
 * Tiny generated NIfTI volumes (32 x 24 x 28 voxels, 2 mm slices).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { Mat3 } from '../../../server/src/formats/geometry';
import { readImage } from '../../../server/src/data/readers';
import { predictRun } from '../../../server/src/predict/predictRun';
import { predictorOf } from '../../../server/src/predict/predictor';
import { runExperiment, type RunEvent } from '../../../server/src/runs/runner';
import { createRng } from '../../../server/src/transforms/rng';

let dir = '';
let patchRun = '';
let squashRun = '';
const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const VIT = 'backbone: vit3d, inputSize: 16, patchSize: 8, embedDim: 16, depth: 1, heads: 2';

before(async () => {
  await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-patches-'));
  for (const sub of ['volumes', 'labels']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  // [D, H, W] = 16 x 24 x 28 at 2 x 1 x 1 mm (32 x 24 x 28 voxels at 1 mm): a bright ball in noise.
  const [d, h, w] = [16, 24, 28];
  const rows = ['path,split'];
  for (let i = 0; i < 6; i++) {
    const rng = createRng(i + 1);
    const c = [8 + rng.uniform(-2, 2), 12 + rng.uniform(-4, 4), 14 + rng.uniform(-4, 4)];
    const image = new Int16Array(d * h * w);
    const label = new Uint8Array(d * h * w);
    for (let z = 0; z < d; z++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const k = (z * h + y) * w + x;
          label[k] = Math.hypot((z - c[0]!) * 2, y - c[1]!, x - c[2]!) < 6 ? 1 : 0;
          image[k] = Math.round((label[k] ? 800 : 200) + 60 * rng.normal());
        }
    const g = { dims: [w, h, d], spacing: [1, 1, 2] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: IDENTITY };
    fs.writeFileSync(path.join(dir, 'volumes', `v${i}.nii`), encodeNifti({ data: image, ...g }));
    fs.writeFileSync(path.join(dir, 'labels', `v${i}.nii`), encodeNifti({ data: label, ...g }));
    rows.push(`volumes/v${i}.nii,${i < 4 ? 'train' : i === 4 ? 'val' : 'test'}`);
  }
  fs.writeFileSync(path.join(dir, 'split.csv'), rows.join('\n') + '\n');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(name: string, body: string): Promise<{ r: Awaited<ReturnType<typeof runExperiment>>; logs: string[] }> {
  const file = path.join(dir, `${name}.medstudio.yaml`);
  fs.writeFileSync(file, body);
  const logs: string[] = [];
  const r = await runExperiment(file, { outDir: path.join(dir, 'runs'), onEvent: (e: RunEvent) => e.kind === 'log' && logs.push(e.message) });
  return { r, logs };
}

test('a ViT segmenter with data.patch trains on patches and reports Dice from sliding windows over whole resampled volumes', async () => {
  const { r, logs } = await run(
    'vit-patch',
    `method: segment
data: { format: volumes, path: volumes, labels: labels, classes: [background, ball], split: split.csv, spacing: [1, 1, 1], intensity: { percentiles: [0.5, 99.5] }, patch: true, patchesPerVolume: 2 }
model: { ${VIT}, decoderWidth: 8 }
train: { epochs: 2, batchSize: 4, lr: 0.002, seed: 1 }
`,
  );
  assert.equal(r.info.state, 'finished', logs.join('\n'));
  const all = logs.join('\n');
  assert.match(all, /training on 16x16x16 patches, 2 per volume per step, from whole volumes resampled to 1x1x1 mm; val\/test Dice by sliding windows/);
  assert.doesNotMatch(all, /squashed/);
  const extra = r.result!.test!.extra!;
  for (const k of ['dice_ball', 'meanDice']) assert.ok(extra[k]! >= 0 && extra[k]! <= 1, `${k} ${extra[k]}`);
  const meta = JSON.parse(fs.readFileSync(path.join(r.info.runDir, 'model', 'segmenter.json'), 'utf8'));
  const topology = JSON.stringify(meta);
  assert.match(topology, /"intensity":\{"percentiles":\[0\.5,99\.5\]\},"spacing":\[1,1,1\],"patch":true/);
  patchRun = r.info.runDir;
});

test('a ViT segmenter without data.patch on volumes (at data.spacing) over twice its input says in its log that they are squashed', async () => {
  const { r, logs } = await run(
    'vit-squash',
    `method: segment
data: { format: volumes, path: volumes, labels: labels, classes: [background, ball], split: split.csv, spacing: [0.5, 0.5, 0.5] }
model: { ${VIT}, decoderWidth: 8 }
train: { epochs: 1, batchSize: 2, lr: 0.002, seed: 1 }
`,
  );
  assert.equal(r.info.state, 'finished', logs.join('\n'));
  squashRun = r.info.runDir;
  assert.ok(logs.some((l) => /volumes are squashed to 16x16x16 voxels \(v\d\.nii is 64x48x56 \[D, H, W\] at 0\.5x0\.5x0\.5 mm/.test(l)), logs.join('\n'));
});

test('GL-MAE with data.patch pretrains on random patches cut from the whole volumes', async () => {
  const { r, logs } = await run(
    'mae-patch',
    `method: glmae
data: { format: volumes, path: volumes, split: split.csv, spacing: [1, 1, 1], patch: true, patchesPerVolume: 2 }
model: { ${VIT}, decoderWidth: 16, decoderDepth: 1, projectionDim: 8 }
glmae: { localViews: 1, localSize: 8, volumeSize: 20 }
train: { epochs: 1, batchSize: 4, lr: 0.002, seed: 3 }
`,
  );
  assert.equal(r.info.state, 'finished', logs.join('\n'));
  const all = logs.join('\n');
  assert.match(all, /random 20\^3 patches from whole volumes resampled to 1x1x1 mm, 4 per step from 2 volume\(s\)/);
  assert.doesNotMatch(all, /squashed/);
  assert.ok(Number.isFinite(r.result!.test!.loss));
});

test('predict writes a patch-trained ViT\'s label map in the input\'s own grid, the same on a reoriented scan, and refuses a squashing ViT', async () => {
  assert.ok(patchRun && squashRun, 'the training tests ran first');
  assert.equal(predictorOf(patchRun), 'segmentation');
  const refused = predictorOf(squashRun);
  assert.ok(typeof refused === 'object' && /trained on whole volumes squashed to a cube/.test(refused.refused), JSON.stringify(refused));
  await assert.rejects(predictRun(squashRun, path.join(dir, 'volumes', 'v5.nii'), { outDir: path.join(dir, 'x') }), /squashed to a cube/);
  // v5 as stored (2 mm slices) and turned: voxel axis i along -x, j along +z, k along +y.
  const src = await readImage(path.join(dir, 'volumes', 'v5.nii'));
  const [w, h, d] = src.dims as [number, number, number];
  const turned = new Int16Array(w * h * d);
  for (let k = 0; k < h; k++) for (let j = 0; j < d; j++) for (let i = 0; i < w; i++) turned[(k * d + j) * w + i] = Number(src.data[(j * h + k) * w + (w - 1 - i)]);
  const direction: Mat3 = [-1, 0, 0, 0, 0, 1, 0, 1, 0];
  fs.mkdirSync(path.join(dir, 'in'));
  fs.copyFileSync(path.join(dir, 'volumes', 'v5.nii'), path.join(dir, 'in', 'plain.nii'));
  fs.writeFileSync(path.join(dir, 'in', 'turned.nii'), encodeNifti({ data: turned, dims: [w, d, h], spacing: [1, 2, 1], origin: [w - 1, 0, 0], direction }));
  const logs: string[] = [];
  const s = await predictRun(patchRun, path.join(dir, 'in'), { outDir: path.join(dir, 'pred'), log: (l) => logs.push(l) });
  assert.equal(s.kind, 'segmentation');
  assert.deepEqual(s.classes, ['background', 'ball']);
  const counts = s.outputs[0]!.counts!;
  assert.ok(counts.ball! > 0 && counts.background! > 0, `both classes predicted (a map to compare): ${JSON.stringify(counts)}`);
  assert.match(logs.join('\n'), /plain\.nii: 28x24x16 -> network grid 32x24x28/);
  const a = await readImage(s.outputs[0]!.output!);
  const b = await readImage(s.outputs[1]!.output!);
  assert.deepEqual(a.dims.slice(0, 3), [w, h, d]);
  assert.deepEqual(a.spacing, [1, 1, 2]);
  assert.deepEqual(b.dims.slice(0, 3), [w, d, h]);
  assert.deepEqual(b.direction.map((v) => Math.round(v)), direction);
  let same = 0;
  for (let k = 0; k < h; k++) for (let j = 0; j < d; j++) for (let i = 0; i < w; i++) same += b.data[(k * d + j) * w + i] === a.data[(j * h + k) * w + (w - 1 - i)] ? 1 : 0;
  assert.equal(same, w * h * d, 'every voxel of the turned scan has the label of the same voxel of the plain one');
});
