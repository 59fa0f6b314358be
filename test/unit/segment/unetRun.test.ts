/**
 * `method: segment` with `model.backbone: unet` end to end on tiny synthetic NIfTI volumes of
 * different sizes (one at another spacing): the run records the fingerprint, the plan and the
 * values it used (in experiment.json), reports Dice and HD95 per class on the test cases, saves
 * the model, resumes after a cancel to the same result, and refuses a split CSV that misses volumes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { runExperiment, type RunEvent } from '../../../server/src/runs/runner';
import { writeTinyVolumes } from './tinyVolumes';

let dir = '';

before(async () => {
  await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unet-runs-'));
  writeTinyVolumes(dir);
  fs.writeFileSync(path.join(dir, 'short-split.csv'), 'path,split\nvolumes/c0.nii,train\n');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const yaml = (extra = '', split = 'split.csv') => `method: segment
data: { format: volumes, path: volumes, labels: labels, classes: [background, front, back], split: ${split} }
model: { backbone: unet }
unet: { features: 4, maxFeatures: 8, stepsPerEpoch: 3, batchSize: 2, mirror: true, largestComponent: true${extra} }
train: { epochs: 2, seed: 2 }
`;

function write(name: string, body: string): string {
  const file = path.join(dir, `${name}.medstudio.yaml`);
  fs.writeFileSync(file, body);
  return file;
}

const train = (file: string | undefined, opts: { resume?: string; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}) => runExperiment(file, { outDir: path.join(dir, 'runs'), ...opts });

test('a U-Net run records its fingerprint, its plan and the values used, and reports Dice and HD95 per class', async () => {
  const logs: string[] = [];
  const r = await train(write('unet', yaml()), { onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  assert.equal(r.info.state, 'finished');
  const fp = JSON.parse(fs.readFileSync(path.join(r.info.runDir, 'fingerprint.json'), 'utf8'));
  assert.equal(fp.cases, 4);
  assert.deepEqual(fp.spacing.median, [1, 1, 1]);
  const plan = JSON.parse(fs.readFileSync(path.join(r.info.runDir, 'plan.json'), 'utf8'));
  assert.equal(plan.normalisation, 'mr');
  assert.equal(plan.source.patch, 'auto');
  assert.equal(plan.source.batchSize, 'experiment');
  const resolved = JSON.parse(fs.readFileSync(path.join(r.info.runDir, 'experiment.json'), 'utf8'));
  assert.deepEqual(resolved.unet.patch, plan.patch);
  assert.deepEqual(resolved.unet.spacing, [1, 1, 1]);
  assert.equal(resolved.unet.normalisation, 'mr');
  assert.equal(resolved.unet.stages, plan.strides.length);
  assert.equal(plan.features, 4);
  assert.deepEqual([resolved.train.optimizer, resolved.train.momentum, resolved.train.nesterov, resolved.train.lr, resolved.train.schedule], ['sgd', 0.99, true, 0.01, 'poly']);
  assert.ok(logs.some((l) => l.includes(`patch ${plan.patch.join('x')} (auto)`) && l.includes('batch 2 (experiment')), logs.join('\n'));
  assert.ok(logs.some((l) => l.includes('1 case(s) resampled to 1x1x1 mm')), logs.join('\n'));
  const extra = r.result!.test!.extra!;
  for (const k of ['dice_front', 'dice_back', 'meanDice']) assert.ok(extra[k]! >= 0 && extra[k]! <= 1, `${k} ${extra[k]}`);
  assert.ok(fs.existsSync(path.join(r.info.runDir, 'model', 'segmenter.json')));
});

test('a cancelled U-Net run resumes from its checkpoint to the same test Dice as an uninterrupted one', async () => {
  const whole = await train(write('whole', yaml()));
  const ac = new AbortController();
  let steps = 0;
  const cut = await train(write('cut', yaml()), { signal: ac.signal, onEvent: (e) => e.kind === 'progress' && ++steps === 4 && ac.abort() });
  assert.equal(cut.info.state, 'cancelled');
  const resumed = await train(undefined, { resume: cut.info.runDir });
  assert.equal(resumed.info.state, 'finished');
  const a = whole.result!.test!.extra!;
  const b = resumed.result!.test!.extra!;
  for (const k of ['dice_background', 'meanDice']) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-6, `${k}: ${a[k]} vs ${b[k]}`);
});

test('a split CSV that gives no split for some volumes is refused, naming them', async () => {
  await assert.rejects(train(write('short', yaml('', 'short-split.csv'))), /gives no split for 5 volume\(s\).*c1\.nii/);
});
