/**
 * Classification metrics for imbalanced data: confusion matrix, per-class recall and precision,
 * balanced accuracy, mean class error rate (the long-tail headline: mean over classes of
 * 1 - recall) and macro one-vs-rest AUC. Pure functions on plain arrays.
 */
import type { EvalMetrics } from '../protocol';

/** confusion[true][predicted] counts. */
export function confusionMatrix(yTrue: readonly number[], yPred: readonly number[], numClasses: number): number[][] {
  if (yTrue.length !== yPred.length) throw new Error(`confusionMatrix: ${yTrue.length} labels but ${yPred.length} predictions`);
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (t < 0 || t >= numClasses || p < 0 || p >= numClasses) throw new Error(`confusionMatrix: class index out of range at item ${i} (${t}, ${p})`);
    cm[t]![p]!++;
  }
  return cm;
}

/** Recall of each class: TP / (TP + FN); NaN for a class with no items. */
export function recallPerClass(cm: readonly (readonly number[])[]): number[] {
  return cm.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    return support === 0 ? NaN : row[c]! / support;
  });
}

/** Precision of each class: TP / (TP + FP); 0 for a class never predicted. */
export function precisionPerClass(cm: readonly (readonly number[])[]): number[] {
  return cm.map((_, c) => {
    const predicted = cm.reduce((a, row) => a + row[c]!, 0);
    return predicted === 0 ? 0 : cm[c]![c]! / predicted;
  });
}

function meanDefined(xs: readonly number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** Mean recall over the classes present. */
export function balancedAccuracy(cm: readonly (readonly number[])[]): number {
  return meanDefined(recallPerClass(cm));
}

/** Mean over the classes present of 1 - recall (= 1 - balanced accuracy). */
export function meanClassError(cm: readonly (readonly number[])[]): number {
  return meanDefined(recallPerClass(cm).map((r) => 1 - r));
}

export function accuracy(cm: readonly (readonly number[])[]): number {
  let right = 0;
  let all = 0;
  cm.forEach((row, t) =>
    row.forEach((n, p) => {
      all += n;
      if (t === p) right += n;
    }),
  );
  return all ? right / all : NaN;
}

/** Binary ROC AUC by the rank-sum (Mann-Whitney) statistic, ties counted half. NaN without both classes. */
export function binaryAuc(scores: readonly number[], positive: readonly boolean[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (!positive[idx[k]!]) continue;
      rankSumPos += avgRank;
      nPos++;
    }
    i = j + 1;
  }
  const nNeg = scores.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Macro one-vs-rest AUC from row-major probabilities [n, k]; classes without positives or negatives are skipped. */
export function macroAucOvr(probs: ArrayLike<number>, yTrue: readonly number[], numClasses: number): number {
  const n = yTrue.length;
  if (probs.length !== n * numClasses) throw new Error(`macroAucOvr: expected ${n}x${numClasses} probabilities, got ${probs.length}`);
  const aucs: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const s = new Array<number>(n);
    const pos = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      s[i] = probs[i * numClasses + c]!;
      pos[i] = yTrue[i] === c;
    }
    aucs.push(binaryAuc(s, pos));
  }
  return meanDefined(aucs);
}

/** Index of the largest value in each row of a row-major [n, k] array. */
export function argmaxRows(probs: ArrayLike<number>, numClasses: number): number[] {
  const n = probs.length / numClasses;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Every metric of one evaluation, in the shape metrics.jsonl and the editor use. */
export function classificationMetrics(
  probs: ArrayLike<number>,
  yTrue: readonly number[],
  classes: readonly string[],
  split: EvalMetrics['split'],
  epoch: number,
  loss?: number,
): EvalMetrics {
  const k = classes.length;
  const cm = confusionMatrix(yTrue, argmaxRows(probs, k), k);
  const rec = recallPerClass(cm);
  const prec = precisionPerClass(cm);
  return {
    split,
    epoch,
    ...(loss !== undefined ? { loss } : {}),
    accuracy: accuracy(cm),
    balancedAccuracy: balancedAccuracy(cm),
    auc: macroAucOvr(probs, yTrue, k),
    meanClassError: meanClassError(cm),
    classes: [...classes],
    recall: Object.fromEntries(classes.map((c, i) => [c, rec[i]!])),
    precision: Object.fromEntries(classes.map((c, i) => [c, prec[i]!])),
    confusion: cm,
  };
}
