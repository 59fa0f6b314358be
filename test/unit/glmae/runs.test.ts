/**
 * The GL-MAE and segment runners end to end on tiny synthetic NIfTI volumes: pretraining logs
 * every loss term and saves an encoder, a cancelled run resumes to the same result as an
 * uninterrupted one, fine-tuning loads the encoder through `init`, and the reconstruction a
 * viewer asks for has the requested mask.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import { runExperiment, type RunEvent } from '../../../server/src/runs/runner';
import type { EvalMetrics } from '../../../server/src/protocol';
import { loadGlmaeRun, readVolumeForModel, reconstruct } from '../../../server/src/methods/glmae/reconstruct';
import { syntheticVolume } from './synthetic';

let dir = '';
const SIDE = 24;

before(async () => {
  await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glmae-runs-'));
  for (const sub of ['volumes', 'labels']) fs.mkdirSync(path.join(dir, sub));
  const geometry = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  for (let i = 1; i <= 8; i++) {
    const v = syntheticVolume(i, SIDE);
    const label = Uint8Array.from(v.data, (x) => (x > 0.6 ? 2 : x > 0.3 ? 1 : 0));
    const name = `v${i}.nii`;
    fs.writeFileSync(path.join(dir, 'volumes', name), encodeNifti({ data: Int16Array.from(v.data, (x) => Math.round(x * 1000)), dims: [SIDE, SIDE, SIDE], ...geometry }));
    fs.writeFileSync(path.join(dir, 'labels', name), encodeNifti({ data: label, dims: [SIDE, SIDE, SIDE], ...geometry }));
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const model = '{ backbone: vit3d, inputSize: 16, patchSize: 4, embedDim: 32, depth: 2, heads: 2, decoderWidth: 16, decoderDepth: 1, projectionDim: 16 }';

function writeExperiment(name: string, body: string): string {
  const file = path.join(dir, `${name}.medstudio.yaml`);
  fs.writeFileSync(file, body);
  return file;
}

const glmaeYaml = (epochs: number) => `method: glmae
data: { format: volumes, path: volumes, valFraction: 0.25, testFraction: 0.25 }
model: ${model}
glmae: { localViews: 2, localSize: 8, volumeSize: 24 }
train: { epochs: ${epochs}, batchSize: 2, lr: 0.002, seed: 3 }
`;

async function train(file: string, opts: { resume?: string; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}) {
  return runExperiment(opts.resume ? undefined : file, { outDir: path.join(dir, 'runs'), ...opts });
}

test('GL-MAE pretraining logs each loss term per epoch and saves an encoder for fine-tuning', async () => {
  const metrics: EvalMetrics[] = [];
  const r = await train(writeExperiment('pre', glmaeYaml(2)), { onEvent: (e) => e.kind === 'metrics' && metrics.push(e.metrics) });
  assert.equal(r.info.state, 'finished');
  const val = metrics.filter((m) => m.split === 'val');
  assert.equal(val.length, 2);
  for (const k of ['recGlobal', 'recLocal', 'g2g', 'l2g']) assert.ok(Number.isFinite(val[1]!.extra?.[k]), `val metrics lack ${k}`);
  for (const f of ['model/encoder.json', 'model/encoder.weights.bin', 'model/glmae.json', 'metrics.jsonl']) assert.ok(fs.existsSync(path.join(r.info.runDir, f)), `${f} missing`);
});

test('a cancelled GL-MAE run resumes from its checkpoint to the same losses as an uninterrupted run', async () => {
  const whole = await train(writeExperiment('whole', glmaeYaml(2)));
  const ac = new AbortController();
  let steps = 0;
  const first = await train(writeExperiment('cut', glmaeYaml(2)), {
    signal: ac.signal,
    onEvent: (e) => {
      if (e.kind === 'progress' && ++steps === 3) ac.abort(); // mid-way through epoch 2
    },
  });
  assert.equal(first.info.state, 'cancelled');
  const resumed = await train('', { resume: first.info.runDir });
  assert.equal(resumed.info.state, 'finished');
  const a = whole.result!.test!.extra!;
  const b = resumed.result!.test!.extra!;
  for (const k of ['loss', 'recGlobal', 'recLocal', 'g2g', 'l2g']) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-5, `${k}: ${a[k]} uninterrupted vs ${b[k]} resumed`);
});

test('segmentation fine-tunes from the GL-MAE run named by init and reports Dice per class', async () => {
  const pre = await train(writeExperiment('pre2', glmaeYaml(1)));
  const logs: string[] = [];
  const seg = await train(
    writeExperiment(
      'seg',
      `method: segment
init: ${JSON.stringify(pre.info.runDir)}
data: { format: volumes, path: volumes, labels: labels, classes: [background, lung, nodule], labelled: 2, valFraction: 0.25, testFraction: 0.25 }
model: { backbone: vit3d, inputSize: 16, decoderWidth: 8 }
train: { epochs: 2, batchSize: 2, lr: 0.002, seed: 1 }
`,
    ),
    { onEvent: (e) => e.kind === 'log' && logs.push(e.message) },
  );
  assert.equal(seg.info.state, 'finished');
  assert.ok(logs.some((l) => l.includes('encoder initialised from') && l.includes(pre.info.runDir)), logs.join('\n'));
  assert.ok(logs.some((l) => l.includes('2 labelled training volumes')), logs.join('\n'));
  const extra = seg.result!.test!.extra!;
  assert.ok(extra.dice_background! >= 0 && extra.dice_background! <= 1);
  assert.ok('meanDice' in extra);
  assert.ok(fs.existsSync(path.join(seg.info.runDir, 'model', 'segmenter.json')));
});

test('init that is not a GL-MAE run folder fails with a message saying what init must be', async () => {
  const file = writeExperiment(
    'badinit',
    `method: segment
init: ${JSON.stringify(dir)}
data: { format: volumes, path: volumes, labels: labels }
model: { backbone: vit3d, inputSize: 16, patchSize: 4, embedDim: 32, depth: 2, heads: 2 }
train: { epochs: 1, batchSize: 2 }
`,
  );
  await assert.rejects(train(file), /is not a finished GL-MAE run folder \(no model\/encoder\.json in it\)/);
});

test('the reconstruction for the viewer masks the requested share of patches and leaves visible ones intact', async () => {
  const pre = await train(writeExperiment('pre3', glmaeYaml(1)));
  const loaded = loadGlmaeRun(pre.info.runDir);
  const before = tf.memory().numTensors;
  const vol = await readVolumeForModel(path.join(dir, 'volumes', 'v1.nii'), 16);
  const r = await reconstruct(loaded, vol, 0.5, 7);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.shape, [16, 16, 16]);
  const maskedVoxels = r.mask.reduce((s, v) => s + v, 0);
  assert.equal(maskedVoxels, 32 * 64); // 32 of 64 patches of 4^3 voxels
  for (let i = 0; i < vol.length; i++) {
    if (r.mask[i] === 0) {
      assert.ok(Math.abs(r.reconstruction[i]! - vol[i]!) < 1e-5 && Math.abs(r.masked[i]! - vol[i]!) < 1e-5);
    } else assert.equal(r.masked[i], 0);
  }
  assert.ok(Number.isFinite(r.maskedMse) && r.maskedMse > 0);
  loaded.model.dispose();
});

test('supervised with backbone vit3d trains a 3D ViT classifier from a GL-MAE encoder', async () => {
  const pre = await train(writeExperiment('pre4', glmaeYaml(1)));
  const rows = ['path,label,split'];
  for (let i = 1; i <= 8; i++) rows.push(`volumes/v${i}.nii,${i % 2 ? 'odd' : 'even'},${i <= 4 ? 'train' : i <= 6 ? 'val' : 'test'}`);
  fs.writeFileSync(path.join(dir, 'manifest3d.csv'), rows.join('\n') + '\n');
  const logs: string[] = [];
  const r = await train(
    writeExperiment(
      'cls',
      `method: supervised
init: ${JSON.stringify(pre.info.runDir)}
data: { format: csv, path: manifest3d.csv, classes: [even, odd] }
model: { backbone: vit3d, inputSize: 16, hidden: 16 }
train: { epochs: 1, batchSize: 2, lr: 0.001, seed: 1 }
`,
    ),
    { onEvent: (e) => e.kind === 'log' && logs.push(e.message) },
  );
  assert.equal(r.info.state, 'finished');
  assert.ok(logs.some((l) => l.startsWith('encoder initialised from')), logs.join('\n'));
  const t = r.result!.test!;
  assert.deepEqual(t.classes, ['even', 'odd']);
  assert.ok(t.accuracy! >= 0 && t.accuracy! <= 1 && t.confusion!.flat().reduce((a, b) => a + b, 0) === 2);
  assert.ok(fs.existsSync(path.join(r.info.runDir, 'model', 'classifier.json')));
});
