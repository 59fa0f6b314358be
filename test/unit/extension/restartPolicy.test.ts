import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureCause, RestartPolicy } from '../../../extension/src/restartPolicy';

test('restarts back off, then give up once the delays are used up within the window', () => {
  const now = 0;
  const p = new RestartPolicy({ delaysMs: [500, 1000, 2000], windowMs: 60_000 }, () => now);
  assert.deepEqual([p.onFailure(), p.onFailure(), p.onFailure(), p.onFailure()], [500, 1000, 2000, undefined]);
  assert.equal(p.count, 4);
});

test('failures older than the window are forgotten; reset starts afresh', () => {
  let now = 0;
  const p = new RestartPolicy({ delaysMs: [500, 1000], windowMs: 60_000 }, () => now);
  p.onFailure();
  p.onFailure();
  now = 61_000;
  assert.equal(p.onFailure(), 500, 'the old failures fell out of the window');
  p.onFailure();
  p.reset();
  assert.equal(p.onFailure(), 500);
});

test("a dead server's cause is Node's error line, else its last words", () => {
  const crash = [
    'node:internal/modules/cjs/loader:1228',
    '  throw err;',
    '  ^',
    '',
    "Error: Cannot find module '@tensorflow/tfjs-backend-webgl'",
    'Require stack:',
    '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
    '[Error - 19:20:01] Connection to server got closed.',
  ];
  assert.equal(failureCause(crash), "Error: Cannot find module '@tensorflow/tfjs-backend-webgl'");
  assert.equal(failureCause(['TypeError [ERR_X]: bad thing', 'more']), 'TypeError [ERR_X]: bad thing');
  assert.equal(failureCause(['starting', 'out of memory', '[Info] client log']), 'out of memory');
  assert.equal(failureCause([]), undefined);
});
