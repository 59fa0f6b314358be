import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { buildMobileNetEncoder } from '../../../server/src/networks/mobilenet';
import { loadModel, runExperiment, saveModel } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from './fixture';

test('a supervised experiment with init: a DisCo student run fine-tunes that student (MobileNet) instead of starting from scratch', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  // A finished DisCo run as the run folder stores it: model/ = the student encoder + its metadata.
  const studentRun = path.join(fx.root, 'student-run');
  const encoder = buildMobileNetEncoder({ inputSize: 16, channels: 3, width: 4, depth: 1, seed: 99 });
  await saveModel(path.join(studentRun, 'model'), encoder, {
    kind: 'self-supervised-encoder', method: 'disco', backbone: 'mobilenet', inputSize: 16, channels: 3,
    featureDim: encoder.outputs[0]!.shape[1], featureLayer: 'pool', projectionDim: 8, inputRange: [0, 1],
  });
  const stem = Array.from(encoder.getLayer('stem_conv').getWeights()[0]!.dataSync());
  encoder.dispose();

  const exp = writeExperiment(fx, 'finetune', `method: supervised
init: student-run
data: { format: csv, path: data/labels.csv }
model: { backbone: mobilenet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 1, batchSize: 8, lr: 0.0, seed: 3 }
`);
  const logs: string[] = [];
  const run = await runExperiment(exp, { onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  assert.equal(run.info.state, 'finished', run.info.error);
  assert.ok(logs.some((l) => /init: \d+ encoder weights copied from .*student-run/.test(l)), logs.join('\n'));
  const trained = await loadModel(path.join(run.info.runDir, 'model'));
  // lr 0: the saved classifier's trunk is exactly the student's.
  assert.deepEqual(Array.from(trained.getLayer('stem_conv').getWeights()[0]!.dataSync()), stem);
  trained.dispose();

  const bad = writeExperiment(fx, 'bad', `method: supervised\ninit: data\ndata: { format: csv, path: data/labels.csv }\nmodel: { backbone: mobilenet, width: 4, depth: 1, inputSize: 16 }\ntrain: { epochs: 1 }\n`);
  await assert.rejects(runExperiment(bad), /no trained encoder .*is it a finished moco or disco run/);
  assert.ok(fs.existsSync(path.join(fx.root, '.medstudio', 'runs')));
});
