import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readModelMetadata, readMetrics, runExperiment } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

test('the whole long-tail toolkit runs in one experiment: cleaning round, re-weighting, hi-res fine-tuning, tau-norm and TTA', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const exp = writeExperiment(
    fx,
    'longtail',
    `method: supervised
data: { format: csv, path: data/labels.csv }
model: { width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 5, balance: reweight }
longtail: { weightNorm: 1, tta: true, cleaningRounds: 1, cleaningFraction: 0.2, hiResInputSize: 24, hiResEpochs: 1 }
`,
  );
  const out = await runExperiment(exp);
  const dir = out.info.runDir;
  assert.equal(out.info.state, 'finished');
  const suspects = JSON.parse(fs.readFileSync(path.join(dir, 'cleaning', 'round-1.suspects.json'), 'utf8'));
  assert.equal(suspects.round, 1);
  assert.ok(Array.isArray(suspects.suspects));
  for (const s of suspects.suspects) {
    assert.ok(fs.existsSync(s.image), `suspect image ${s.image}`);
    assert.notEqual(s.givenLabel, s.suggestedLabel);
  }
  const history = await readMetrics(dir);
  assert.deepEqual(history.map((m) => `${m.split}${m.epoch}`), ['val1', 'val2', 'val3', 'test3'], 'cleaning epochs are logged, not reported');
  const meta = (await readModelMetadata(path.join(dir, 'model'))).medstudio as { inputSize: number; weightNorm: number; tta: boolean };
  assert.equal(meta.inputSize, 24, 'the final model is the hi-res one');
  assert.equal(meta.weightNorm, 1);
});
