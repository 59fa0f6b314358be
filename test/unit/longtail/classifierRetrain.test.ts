/** Classifier re-training (cRT): after the main training, only a fresh classifier trains, on the frozen backbone, with class-balanced batches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadModel, readMetrics, runExperiment } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

const body = (crt: string) => `method: supervised
data: { format: csv, path: data/labels.csv }
model: { width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 5 }
longtail: { ${crt} }
`;

async function weightsOf(runDir: string): Promise<Map<string, number[]>> {
  const model = await loadModel(path.join(runDir, 'model'));
  const out = new Map(model.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
  model.dispose();
  return out;
}

test('cRT leaves every backbone weight (BatchNorm statistics included) as the main training left it, re-trains the classifier, and logs and reports its epochs', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const plain = await runExperiment(writeExperiment(fx, 'plain', body('crtEpochs: 0')));
  const logs: string[] = [];
  const crt = await runExperiment(writeExperiment(fx, 'crt', body('crtEpochs: 2, crtLr: 0.05')), { onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  assert.equal(plain.info.state, 'finished');
  assert.equal(crt.info.state, 'finished');

  // The same seed trains the same main phase, so the cRT run's backbone must equal the plain run's bit for bit.
  const a = await weightsOf(plain.info.runDir);
  const b = await weightsOf(crt.info.runDir);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  const isClassifier = (name: string) => name.startsWith('logits/');
  assert.ok([...a.keys()].some((n) => /moving_mean|moving_variance/.test(n)), 'the network has BatchNorm statistics to compare');
  assert.equal([...a.keys()].filter(isClassifier).length, 2, 'the classifier is one Dense layer (kernel, bias)');
  for (const [name, values] of a) {
    if (isClassifier(name)) assert.notDeepEqual(b.get(name), values, `classifier weight ${name} was re-trained`);
    else assert.deepEqual(b.get(name), values, `backbone weight ${name} did not change during cRT`);
  }

  const history = await readMetrics(crt.info.runDir);
  assert.deepEqual(
    history.map((m) => `${m.split}${m.epoch}`),
    ['val1', 'val2', 'val3', 'val4', 'test4'],
    'cRT epochs follow the main epochs in metrics.jsonl',
  );
  assert.deepEqual(
    history.filter((m) => m.split === 'val').map((m) => m.extra?.classifierRetrain ?? 0),
    [0, 0, 1, 1],
  );
  assert.ok(
    logs.some((l) => /crt: classifier re-training: backbone frozen .* classifier 'logits' re-initialised .* class-balanced sampling, lr 0\.05/.test(l)),
    `the log says what cRT does:\n${logs.join('\n')}`,
  );
});
