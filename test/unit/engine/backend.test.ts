import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../server/src/engine/backend';

test('auto picks a working backend and explains every better one it skipped', async () => {
  const s = await selectBackend({ backend: 'auto' });
  assert.ok(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'].includes(s.backend));
  const ladder = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
  const better = ladder.slice(0, ladder.indexOf(s.backend));
  assert.deepEqual(s.skipped.map((k) => k.backend), better);
  for (const k of s.skipped) assert.match(k.reason, /\w{4,}/);
  assert.equal(s.pid, process.pid);
});
