/** Seeded stratified splits, class counts and the imbalance statement datasets report. */
import { createRng } from '../../transforms/rng';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/**
 * Assigns train/val/test to items by class, in a seeded random order: each class gives
 * round(n * fraction) to val and test, at least one each when it has 3 or more items, so rare
 * classes are always evaluated.
 */
export function stratifiedSplit(labels: readonly number[], seed: number, valFraction = 0.15, testFraction = 0.15): Split[] {
  const rng = createRng(seed);
  const out = new Array<Split>(labels.length).fill('train');
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle([...byClass.get(label)!]);
    const n = idx.length;
    const atLeast = (f: number) => (f > 0 && n >= 3 ? Math.max(1, Math.round(n * f)) : Math.round(n * f));
    const nVal = atLeast(valFraction);
    const nTest = Math.min(atLeast(testFraction), n - nVal);
    idx.slice(0, nVal).forEach((i) => (out[i] = 'val'));
    idx.slice(nVal, nVal + nTest).forEach((i) => (out[i] = 'test'));
  }
  return out;
}

/** counts[split][classIndex]. */
export type ClassCounts = Record<Split, number[]>;

export function countByClass(items: readonly { label: number; split: Split }[], classes: number): ClassCounts {
  const counts: ClassCounts = { train: new Array<number>(classes).fill(0), val: new Array<number>(classes).fill(0), test: new Array<number>(classes).fill(0) };
  for (const it of items) counts[it.split][it.label]!++;
  return counts;
}

/**
 * One sentence on how imbalanced the classes are (all splits together), naming the rare
 * classes (share <= rareShare) — what the status view and the run report print.
 */
export function describeImbalance(classes: readonly string[], counts: ClassCounts, rareShare = 0.05): string {
  const totals = classes.map((_, c) => counts.train[c]! + counts.val[c]! + counts.test[c]!);
  const all = totals.reduce((a, b) => a + b, 0);
  if (!all) return 'no samples';
  const pct = (n: number) => `${((100 * n) / all).toFixed(1)}%`;
  const order = totals.map((n, c) => ({ n, c })).sort((a, b) => b.n - a.n);
  const big = order[0]!;
  const small = order[order.length - 1]!;
  const missing = order.filter((o) => o.n === 0).map((o) => classes[o.c]);
  const nonEmpty = order.filter((o) => o.n > 0);
  const ratio = big.n / Math.max(1, nonEmpty[nonEmpty.length - 1]?.n ?? 1);
  const rare = nonEmpty.filter((o) => o.n / all <= rareShare).map((o) => `${classes[o.c]} ${o.n} (${pct(o.n)})`);
  const kind = ratio >= 10 ? 'strongly imbalanced' : ratio >= 3 ? 'imbalanced' : ratio > 1.5 ? 'mildly imbalanced' : 'balanced';
  let text = `${kind}: ${all} samples in ${classes.length} classes; largest ${classes[big.c]} ${big.n} (${pct(big.n)}), smallest ${classes[small.c]} ${small.n} (${pct(small.n)}), ratio ${ratio.toFixed(1)}:1`;
  if (rare.length) text += `; rare (<= ${Math.round(rareShare * 100)}%): ${rare.join(', ')}`;
  if (missing.length) text += `; no samples of ${missing.join(', ')}`;
  return text;
}
