/** The demo's closing sentence says plainly whether CARE beat CE on the rare classes (never silent when it did not). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict } from '../../../server/src/cli/commands/demo';
import type { EvalMetrics } from '../../../server/src/protocol';

const m = (recall: Record<string, number>): EvalMetrics => ({ split: 'test', epoch: 1, recall });

test('the demo says CARE did not beat CE when the rare-class recall barely moved, and says so when it did better or worse', () => {
  assert.match(verdict(m({ a: 0.9, r: 0.5, s: 0.6 }), m({ a: 0.9, r: 0.52, s: 0.6 }), ['r', 's']), /^CARE did not beat CE on the rare classes of this sample \(mean rare-class recall 0\.560 with CARE vs 0\.550 with CE, one seed\): no effect shown here\.$/);
  assert.match(verdict(m({ r: 0.5 }), m({ r: 0.7 }), ['r']), /^CARE beat CE on the rare classes/);
  assert.match(verdict(m({ r: 0.7 }), m({ r: 0.5 }), ['r']), /^CARE did worse than CE/);
});
