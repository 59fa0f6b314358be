import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEtaSeconds } from '../../../server/src/training/eta';

test('the ETA counts the epochs still to come, not just the rest of this epoch', () => {
  // Epoch 1 of 20, step 2 of 10, 0.5 s a step: 8 steps now + 19 epochs x 10 steps.
  assert.equal(runEtaSeconds({ epoch: 1, epochs: 20, step: 2, steps: 10, secondsPerStep: 0.5 }), (8 + 190) * 0.5);
  assert.equal(runEtaSeconds({ epoch: 20, epochs: 20, step: 10, steps: 10, secondsPerStep: 0.5 }), 0, 'nothing left at the last step');
  assert.equal(runEtaSeconds({ epoch: 3, epochs: 20, step: 1, steps: 10, secondsPerStep: 0 }), 0, 'no pace yet: no estimate');
  assert.equal(runEtaSeconds({ epoch: 3, epochs: 20, step: 1, steps: 10, secondsPerStep: Number.NaN }), 0);
});
