/** A run stopped in the middle of a cleaning round resumes with the folds already scored and flags what an uninterrupted run flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { runExperiment } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

const EXPERIMENT = `method: supervised
data: { format: csv, path: data/labels.csv }
model: { width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 9 }
longtail: { cleaningRounds: 1, cleaningFraction: 0.3, cleaningFolds: 2 }
`;

const suspectsOf = (runDir: string) => JSON.parse(fs.readFileSync(path.join(runDir, 'cleaning', 'round-1.suspects.json'), 'utf8')) as unknown;

test('a run stopped during the second fold of a cleaning round resumes there and flags the same labels as one never stopped', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const whole = await runExperiment(writeExperiment(fx, 'whole', EXPERIMENT));
  assert.equal(whole.info.state, 'finished');

  const stop = new AbortController();
  let fold1Scored = false;
  const stopped = await runExperiment(writeExperiment(fx, 'stopped', EXPERIMENT), {
    signal: stop.signal,
    onEvent: (e) => {
      if (e.kind === 'log' && e.message.startsWith('clean1-fold1: scored')) fold1Scored = true;
      // The first step of fold 2: the checkpoint holds fold 1's scores but not fold 2's.
      else if (e.kind === 'progress' && fold1Scored) stop.abort();
    },
  });
  assert.notEqual(stopped.info.state, 'finished');
  assert.ok(!fs.existsSync(path.join(stopped.info.runDir, 'cleaning', 'round-1.suspects.json')), 'the round was not finished before the stop');

  const logs: string[] = [];
  const resumed = await runExperiment(undefined, { resume: stopped.info.runDir, onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  assert.equal(resumed.info.state, 'finished');
  assert.ok(logs.some((l) => l.startsWith('resumed in phase clean1-fold2')), logs.join('\n'));
  assert.ok(!logs.some((l) => l.startsWith('clean1-fold1')), 'fold 1 is not trained or scored again');
  assert.deepEqual(suspectsOf(resumed.info.runDir), suspectsOf(whole.info.runDir));
});
