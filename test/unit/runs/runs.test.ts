import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadExperiment } from '../../../server/src/experiment/load';
import { methods } from '../../../server/src/methods';
import type { MethodRunner } from '../../../server/src/training/types';
import {
  createRun,
  findWorkspaceRoot,
  loadCheckpoint,
  loadModel,
  newRunId,
  openRun,
  readMetrics,
  runExperiment,
  saveCheckpoint,
  saveModel,
  type RunEvent,
} from '../../../server/src/runs';

function tmpWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-runs-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{}');
  fs.mkdirSync(path.join(dir, 'exp', 'data'), { recursive: true });
  return dir;
}

function writeExperiment(ws: string, method = 'supervised', epochs = 3): string {
  const f = path.join(ws, 'exp', 'tiny.medstudio.yaml');
  fs.writeFileSync(f, `method: ${method}\ndata:\n  format: folder\n  path: data\ntrain:\n  epochs: ${epochs}\n`);
  return f;
}

function tinyModel(seed: number): tfl.LayersModel {
  const m = tfl.sequential({ name: 'tiny' });
  m.add(tfl.layers.dense({ name: 'hidden', inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.batchNormalization({ name: 'bn' }));
  m.add(tfl.layers.dense({ name: 'out', units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

function step(model: tfl.LayersModel, opt: tf.Optimizer, i: number): void {
  tf.tidy(() => {
    const x = tf.tensor2d([[i, 1, -i], [0.5, -1, 2], [1, 1, 1]]);
    const y = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    opt.applyGradients(grads);
  });
}

test('runs go to .medstudio/runs in the workspace that holds the experiment, with sortable ids', async () => {
  const ws = tmpWorkspace();
  const exp = await loadExperiment(writeExperiment(ws));
  assert.equal(findWorkspaceRoot(exp.file), ws);
  const run = await createRun(exp);
  assert.equal(path.dirname(run.dir), path.join(ws, '.medstudio', 'runs'));
  assert.match(run.info.runId, /^\d{8}-\d{4}-supervised-[0-9a-f]{4}$/);
  for (const f of ['run.json', 'experiment.json', 'tiny.medstudio.yaml']) assert.ok(fs.existsSync(path.join(run.dir, f)), f);
  const reopened = await openRun(run.dir);
  assert.equal(reopened.experiment.method, 'supervised');
  assert.equal(reopened.info.state, 'queued');
  assert.ok(newRunId('care', new Date('2026-01-02T03:04:00Z')) < newRunId('care', new Date('2026-01-02T03:05:00Z')));
  await assert.rejects(openRun(path.join(ws, 'exp')), /not a MedStudio run folder: run.json is missing/);
});

test('a saved model loads back with the same predictions', async () => {
  await ensureBackend({ backend: 'cpu' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-model-'));
  const m = tinyModel(3);
  await saveModel(path.join(dir, 'model'), m, { classes: ['a', 'b'] });
  await saveModel(path.join(dir, 'model'), m, { classes: ['a', 'b'] }); // replacing an existing model works
  assert.deepEqual(fs.readdirSync(dir), ['model']);
  const back = await loadModel(path.join(dir, 'model'));
  const x = tf.tensor2d([[1, 2, 3]]);
  const a = m.predict(x) as tf.Tensor;
  const b = back.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
  tf.dispose([x, a, b]);
  m.dispose();
  back.dispose();
});

test('training 4 steps straight equals 2 steps, checkpoint, rebuild, restore and 2 more (Adam state included)', async () => {
  await ensureBackend({ backend: 'cpu' });
  const ws = tmpWorkspace();
  const before = tf.memory().numTensors;
  const straight = tinyModel(7);
  const opt1 = tf.train.adam(0.05);
  for (let i = 0; i < 4; i++) step(straight, opt1, i);

  const first = tinyModel(7);
  const opt2 = tf.train.adam(0.05);
  for (let i = 0; i < 2; i++) step(first, opt2, i);
  await saveCheckpoint(ws, { models: { net: first }, optimizers: { net: opt2 } }, { epoch: 2, step: 0, extra: { stage: 1 } });

  const resumed = tinyModel(99); // different init: everything must come from the checkpoint
  const opt3 = tf.train.adam(0.05);
  const state = await loadCheckpoint(ws, { models: { net: resumed }, optimizers: { net: opt3 } });
  assert.deepEqual(state, { epoch: 2, step: 0, extra: { stage: 1 } });
  for (let i = 2; i < 4; i++) step(resumed, opt3, i);

  const w1 = straight.getWeights();
  const w2 = resumed.getWeights();
  assert.equal(w1.length, w2.length);
  for (let k = 0; k < w1.length; k++) assert.deepEqual(Array.from(w1[k]!.dataSync()), Array.from(w2[k]!.dataSync()), `weight ${k}`);
  for (const m of [straight, first, resumed]) m.dispose();
  for (const o of [opt1, opt2, opt3]) o.dispose();
  assert.ok(tf.memory().numTensors <= before + 2, `tensors leaked: ${tf.memory().numTensors - before}`);
});

test('runExperiment records state, metrics and artifacts, and a failure is written to run.json', async () => {
  await ensureBackend({ backend: 'cpu' });
  const ws = tmpWorkspace();
  const fake: MethodRunner = {
    method: 'segment',
    async train(ctx) {
      for (let e = 1; e <= 3; e++) ctx.metrics({ split: 'val', epoch: e, balancedAccuracy: [0.5, 0.8, 0.7][e - 1] });
      if (ctx.experiment.train.epochs === 13) throw new Error('boom');
      ctx.metrics({ split: 'test', epoch: 3, accuracy: 0.9 });
      fs.writeFileSync(path.join(ctx.runDir, 'report.html'), '<html></html>');
      return { artifacts: { report: 'report.html' } };
    },
  };
  methods.unshift(fake); // ahead of the real segment runner, for this test only
  try {
    const events: RunEvent[] = [];
    const out = await runExperiment(writeExperiment(ws, 'segment'), { onEvent: (e) => events.push(e) });
    assert.equal(out.info.state, 'finished');
    assert.equal(out.info.backend, 'cpu');
    assert.deepEqual(out.info.best, { metric: 'balancedAccuracy', value: 0.8, epoch: 2 });
    assert.equal(out.info.reportPath, path.join(out.info.runDir, 'report.html'));
    const onDisk = JSON.parse(fs.readFileSync(path.join(out.info.runDir, 'run.json'), 'utf8'));
    assert.equal(onDisk.state, 'finished');
    assert.equal((await readMetrics(out.info.runDir)).length, 4);
    assert.deepEqual([...new Set(events.filter((e) => e.kind === 'state').map((e) => (e as { info: { state: string } }).info.state))], ['running', 'finished']);

    await assert.rejects(runExperiment(writeExperiment(ws, 'segment', 13)), /boom/);
    const runs = fs.readdirSync(path.join(ws, '.medstudio', 'runs')).sort();
    const failed = JSON.parse(fs.readFileSync(path.join(ws, '.medstudio', 'runs', runs.find((r) => r !== path.basename(out.info.runDir))!, 'run.json'), 'utf8'));
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error, 'boom');
  } finally {
    methods.splice(methods.indexOf(fake), 1);
  }
});
