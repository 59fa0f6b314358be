import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readModelMetadata, readMetrics, runExperiment } from '../../../server/src/runs';
import { CLASSES, makeLesionFixture, writeExperiment } from '../care/fixture';
import { loadClassificationDataset } from '../../../server/src/data/datasets';
import { startRound } from '../../../server/src/methods/longtail';

test('the whole long-tail toolkit runs in one experiment: out-of-fold cleaning round, re-weighting, hi-res fine-tuning, tau-norm and TTA', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const exp = writeExperiment(
    fx,
    'longtail',
    `method: supervised
data: { format: csv, path: data/labels.csv }
model: { width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 5, balance: reweight }
longtail: { weightNorm: 1, tta: true, cleaningRounds: 1, cleaningFraction: 0.2, cleaningFolds: 2, hiResInputSize: 24, hiResEpochs: 1 }
`,
  );
  const logs: string[] = [];
  const out = await runExperiment(exp, { onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  const dir = out.info.runDir;
  assert.equal(out.info.state, 'finished');
  const suspects = JSON.parse(fs.readFileSync(path.join(dir, 'cleaning', 'round-1.suspects.json'), 'utf8'));
  assert.equal(suspects.round, 1);
  assert.equal(suspects.scoring, 'out-of-fold');
  assert.equal(suspects.folds, 2);
  assert.ok(Array.isArray(suspects.suspects));
  // Each image was scored by the model of the fold that held it out: the run's folds are the stratified folds of its training images.
  const ds = await loadClassificationDataset({ format: 'csv', path: fx.csv, inputSize: 16, seed: 5 });
  const train = ds.split('train');
  const folds = startRound(1, train, 2, ds.classes.length, 5).folds;
  const foldOf = new Map(train.map((x, i) => [x.id, folds[i]! + 1]));
  for (const s of suspects.suspects) {
    assert.ok(fs.existsSync(s.image), `suspect image ${s.image}`);
    assert.notEqual(s.givenLabel, s.suggestedLabel);
    assert.equal(s.fold, foldOf.get(s.id), `suspect ${s.id} names the fold that held it out`);
  }
  assert.deepEqual(Object.keys(suspects.removedPerClass), CLASSES);
  assert.equal(Object.values(suspects.removedPerClass as Record<string, number>).reduce((a, b) => a + b, 0), suspects.flagged);
  for (const f of [1, 2]) assert.ok(logs.some((l) => l.startsWith(`clean1-fold${f}: scored the ${folds.filter((g) => g === f - 1).length} training images this model did not train on`)), `fold ${f} logged:\n${logs.join('\n')}`);
  const perClass = CLASSES.map((c) => `${c} ${suspects.removedPerClass[c]}`).join(', ');
  assert.ok(logs.some((l) => l.includes(`clean1: out of fold (2 folds), flagged ${suspects.flagged} of ${train.length} training labels as suspect (${perClass};`)), 'the log gives the removals per class');
  const history = await readMetrics(dir);
  assert.deepEqual(history.map((m) => `${m.split}${m.epoch}`), ['val1', 'val2', 'val3', 'test3'], 'cleaning epochs are logged, not reported');
  const meta = (await readModelMetadata(path.join(dir, 'model'))).medstudio as { inputSize: number; weightNorm: number; tta: boolean };
  assert.equal(meta.inputSize, 24, 'the final model is the hi-res one');
  assert.equal(meta.weightNorm, 1);
});
