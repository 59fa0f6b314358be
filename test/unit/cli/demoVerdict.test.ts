/** The demo's closing sentence says plainly whether CARE beat CE on the rare classes over its seeds (never silent when it did not). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonTable, verdict, type SeedPair } from '../../../server/src/cli/commands/demo';
import type { EvalMetrics } from '../../../server/src/protocol';

const m = (recall: Record<string, number>, extra: Partial<EvalMetrics> = {}): EvalMetrics => ({ split: 'test', epoch: 1, classes: Object.keys(recall), recall, ...extra });
const pair = (seed: number, ce: Record<string, number>, care: Record<string, number>): SeedPair => ({ seed, ce: m(ce), care: m(care) });

test('the demo says CARE did not beat CE when the rare-class recall barely moved, and says so when it did better or worse', () => {
  assert.match(verdict([pair(1, { a: 0.9, r: 0.5, s: 0.6 }, { a: 0.9, r: 0.52, s: 0.6 })], ['r', 's']), /^CARE did not beat CE on the rare classes of this sample \(mean rare-class recall 0\.560 with CARE vs 0\.550 with CE, paired difference \+0\.010 ± 0\.000 over 1 seed\): no effect shown here\.$/);
  assert.match(verdict([pair(1, { r: 0.5 }, { r: 0.7 })], ['r']), /^CARE beat CE on the rare classes/);
  assert.match(verdict([pair(1, { r: 0.7 }, { r: 0.5 })], ['r']), /^CARE did worse than CE/);
});

test('over seeds, a mean gain no larger than its sd over seeds is reported as no effect', () => {
  // +0.3, -0.1, +0.1: mean +0.1, sd 0.2.
  const noisy = [pair(1, { r: 0.4 }, { r: 0.7 }), pair(2, { r: 0.6 }, { r: 0.5 }), pair(3, { r: 0.5 }, { r: 0.6 })];
  assert.match(verdict(noisy, ['r']), /^CARE did not beat CE .*paired difference \+0\.100 ± 0\.200 over 3 seeds\): no effect shown here\.$/);
  const steady = [pair(1, { r: 0.4 }, { r: 0.6 }), pair(2, { r: 0.5 }, { r: 0.6 }), pair(3, { r: 0.5 }, { r: 0.7 })];
  assert.match(verdict(steady, ['r']), /^CARE beat CE on the rare classes of this sample .*over 3 seeds\)/);
});

test('the demo table gives each metric as mean ± sd per method and the paired difference', () => {
  const pairs = [
    { seed: 1, ce: m({ b: 1, r: 0.5 }, { balancedAccuracy: 0.75 }), care: m({ b: 1, r: 0.75 }, { balancedAccuracy: 0.875 }) },
    { seed: 2, ce: m({ b: 1, r: 0.75 }, { balancedAccuracy: 0.875 }), care: m({ b: 1, r: 0.75 }, { balancedAccuracy: 0.875 }) },
  ];
  const lines = comparisonTable(pairs, ['r']);
  assert.match(lines[0]!, /CE baseline\s+CARE\s+CARE - CE \(paired\)$/);
  const rare = lines.find((l) => l.startsWith('recall r (rare)'))!;
  assert.match(rare, /0\.625 ± 0\.177\s+0\.750 ± 0\.000\s+\+0\.125 ± 0\.177$/);
  assert.match(lines.find((l) => l.startsWith('macro AUC'))!, /–\s+–\s*$/, 'a metric a run lacks shows as a dash');
});
