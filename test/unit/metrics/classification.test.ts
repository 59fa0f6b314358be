import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  balancedAccuracy,
  binaryAuc,
  classificationMetrics,
  confusionMatrix,
  macroAucOvr,
  meanClassError,
  precisionPerClass,
  recallPerClass,
} from '../../../server/src/metrics';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);

// 3 classes; by hand: class 0 has 4 items (3 right), class 1 has 2 (1 right), class 2 has 1 (0 right).
const yTrue = [0, 0, 0, 0, 1, 1, 2];
const yPred = [0, 0, 0, 1, 1, 0, 1];

test('confusion matrix counts [true][predicted]', () => {
  assert.deepEqual(confusionMatrix(yTrue, yPred, 3), [
    [3, 1, 0],
    [1, 1, 0],
    [0, 1, 0],
  ]);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /out of range at item 1/);
});

test('recall, precision, balanced accuracy and mean class error match hand-computed values', () => {
  const cm = confusionMatrix(yTrue, yPred, 3);
  assert.deepEqual(recallPerClass(cm), [0.75, 0.5, 0]);
  // predicted 0: 4 (3 right); predicted 1: 3 (1 right); predicted 2: never -> 0.
  const p = precisionPerClass(cm);
  close(p[0]!, 0.75);
  close(p[1]!, 1 / 3);
  assert.equal(p[2], 0);
  close(balancedAccuracy(cm), (0.75 + 0.5 + 0) / 3);
  close(meanClassError(cm), (0.25 + 0.5 + 1) / 3);
  close(accuracy(cm), 4 / 7);
});

test('a class with no test items is left out of the means, not counted as zero recall', () => {
  const cm = confusionMatrix([0, 0, 1], [0, 1, 1], 3);
  assert.ok(Number.isNaN(recallPerClass(cm)[2]!));
  close(balancedAccuracy(cm), (0.5 + 1) / 2);
});

test('AUC by ranks: perfect, inverted, ties and a hand-computed mixed case', () => {
  assert.equal(binaryAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
  assert.equal(binaryAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 0);
  assert.equal(binaryAuc([0.5, 0.5], [false, true]), 0.5);
  // positives 0.35, 0.8; negatives 0.1, 0.4 -> pairs (0.35>0.1 yes, 0.35>0.4 no, 0.8>both) = 3/4
  assert.equal(binaryAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.ok(Number.isNaN(binaryAuc([0.1, 0.2], [true, true])));
});

test('macro one-vs-rest AUC averages the per-class AUCs', () => {
  // 3 items, 2 classes; class-1 scores 0.2, 0.7, 0.6 for labels 0, 1, 0 -> AUC(class 1) = 1; class 0 the mirror = 1
  const probs = [0.8, 0.2, 0.3, 0.7, 0.4, 0.6];
  close(macroAucOvr(probs, [0, 1, 0], 2), 1);
  const m = classificationMetrics(probs, [0, 1, 0], ['normal', 'lesion'], 'val', 2, 0.5);
  assert.deepEqual(m.recall, { normal: 0.5, lesion: 1 });
  assert.deepEqual(m.confusion, [
    [1, 1],
    [0, 1],
  ]);
  close(m.meanClassError!, 0.25);
  assert.equal(m.loss, 0.5);
});
