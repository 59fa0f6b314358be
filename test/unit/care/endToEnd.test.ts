import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadModel, readMetrics, runExperiment, type RunEvent } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from './fixture';

const EXPERIMENT = `name: tiny care
method: care
data:
  format: csv
  path: data/labels.csv
  rare: [rare]
  boxes: { source: manual, path: data/boxes.coco.json }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 4, batchSize: 8, lr: 0.01, seed: 3, balance: sampler }
care: { stage1Epochs: 2 }
`;

async function weightsOf(runDir: string): Promise<Float32Array[]> {
  const m = await loadModel(path.join(runDir, 'model'));
  const w = m.getWeights().map((t) => t.dataSync() as Float32Array);
  m.dispose();
  return w;
}

test('a CARE run writes its folder, metrics, model and report, and a resumed run ends exactly where an uninterrupted one does', async () => {
  await ensureBackend({ backend: process.env.MEDSTUDIO_TEST_BACKEND === 'wasm' ? 'wasm' : 'cpu' });
  const fx = makeLesionFixture();
  const exp = writeExperiment(fx, 'tiny', EXPERIMENT);
  const before = tf.memory().numTensors;

  const straight = await runExperiment(exp);
  const dir = straight.info.runDir;
  assert.equal(straight.info.state, 'finished');
  assert.equal(path.dirname(dir), path.join(fx.root, '.medstudio', 'runs'));
  for (const f of ['run.json', 'experiment.json', 'tiny.medstudio.yaml', 'metrics.jsonl', 'model/model.json', 'model/weights.bin', 'report.html', 'checkpoints/latest.json']) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} is missing`);
  }
  const history = await readMetrics(dir);
  assert.deepEqual(history.map((m) => `${m.split}${m.epoch}`), ['val1', 'val2', 'val3', 'val4', 'test4']);
  assert.deepEqual(history.map((m) => m.extra?.stage), [1, 1, 2, 2, undefined]);
  assert.ok((history[2]!.extra!.attentionLoss ?? 0) !== 0, 'stage 2 used the attention loss');
  const testM = straight.result!.test!;
  assert.deepEqual(Object.keys(testM.recall!), ['common', 'middle', 'rare']);
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /Grad-CAM/);
  assert.match(html, /<img src="data:image\/png;base64,/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  const model = await loadModel(path.join(dir, 'model'));
  const out = model.predict(tf.zeros([1, 16, 16, 3])) as tf.Tensor[];
  assert.deepEqual(out.map((t) => t.shape), [[1, 8, 8, 8], [1, 3]]);
  tf.dispose(out);
  model.dispose();

  // Stop in the middle of epoch 3 (stage 2), then resume.
  const ac = new AbortController();
  const onEvent = (e: RunEvent) => {
    if (e.kind === 'progress' && e.progress.epoch === 3 && e.progress.step === 1) ac.abort();
  };
  const stopped = await runExperiment(exp, { signal: ac.signal, onEvent });
  assert.equal(stopped.info.state, 'cancelled');
  assert.ok(!fs.existsSync(path.join(stopped.info.runDir, 'model')));
  const resumed = await runExperiment(undefined, { resume: stopped.info.runDir });
  assert.equal(resumed.info.state, 'finished');
  assert.equal(resumed.info.runDir, stopped.info.runDir);
  assert.deepEqual(resumed.result!.test, testM);
  assert.deepEqual(
    (await readMetrics(stopped.info.runDir)).map((m) => m.balancedAccuracy),
    history.map((m) => m.balancedAccuracy),
  );
  const a = await weightsOf(dir);
  const b = await weightsOf(stopped.info.runDir);
  a.forEach((w, i) => assert.deepEqual(Array.from(b[i]!), Array.from(w), `weight ${i} differs after resume`));
  assert.ok(tf.memory().numTensors <= before + 4, `tensors leaked: ${tf.memory().numTensors - before}`);
});
