import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { ModelCache } from '../../../server/src/explain/modelCache';
import { saveRun, tempDir, tinyCnn } from './fixtures';

let dir = '';
const runs: string[] = [];

before(async () => {
  await ensureBackend();
  dir = tempDir('cache');
  for (let i = 0; i < 3; i++) {
    const m = tinyCnn(i + 1);
    runs.push(path.join(dir, `run${i}`));
    await saveRun(runs[i]!, m);
    m.dispose();
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the model cache keeps at most its capacity and disposes what it evicts', async () => {
  const cache = new ModelCache(2);
  const base = tf.memory().numTensors;
  const a = await cache.acquire(runs[0]!);
  a.release();
  const perModel = tf.memory().numTensors - base;
  assert.ok(perModel > 0);
  (await cache.acquire(runs[1]!)).release();
  (await cache.acquire(runs[2]!)).release();
  assert.equal(cache.size, 2);
  assert.equal(tf.memory().numTensors - base, 2 * perModel);
  // The same run again is a cache hit: no new weights.
  (await cache.acquire(runs[2]!)).release();
  assert.equal(tf.memory().numTensors - base, 2 * perModel);
  cache.clear();
  assert.equal(tf.memory().numTensors, base);
});

test('a model in use is disposed only when its request releases it', async () => {
  const cache = new ModelCache(1);
  const base = tf.memory().numTensors;
  const held = await cache.acquire(runs[0]!);
  (await cache.acquire(runs[1]!)).release(); // evicts run0 while it is held
  assert.equal(held.run.model.layers.length > 0, true);
  const w = held.run.model.getWeights()[0]!;
  assert.equal(w.isDisposed, false);
  held.release();
  assert.equal(w.isDisposed, true);
  cache.clear();
  assert.equal(tf.memory().numTensors, base);
});

test('a run retrained in place is reloaded', async () => {
  const cache = new ModelCache(2);
  const first = await cache.acquire(runs[0]!);
  first.release();
  const m = tinyCnn(9);
  await saveRun(runs[0]!, m);
  m.dispose();
  // Make the new model.json visibly newer even on coarse file-system clocks.
  const future = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(runs[0]!, 'model', 'model.json'), future, future);
  const second = await cache.acquire(runs[0]!);
  assert.notEqual(second.run, first.run);
  second.release();
  cache.clear();
});
