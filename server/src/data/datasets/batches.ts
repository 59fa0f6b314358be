/**
 * The streaming batch loop shared by classification and segmentation datasets: order (shuffled
 * or class-balanced, seeded per epoch), per-sample loading with the next batch prefetched while
 * the caller trains on this one, and per-sample seeded augmentation. Only one or two batches
 * are ever decoded at a time.
 */
import { createRng, deriveSeed } from '../../transforms/rng';

export interface OrderOptions {
  shuffle?: boolean;
  seed?: number;
  /** Epoch number: each epoch gets its own order and augmentations from the same seed. */
  epoch?: number;
  /**
   * Per-class sampling weights for class-balanced sampling: samples are drawn with replacement
   * with probability proportional to weights[label] (see classBalancedWeights).
   */
  weights?: readonly number[];
  /** Samples per epoch when sampling by weights (default: the split's size). */
  epochSize?: number;
}

/** Weights that make every class equally likely: 1 / count (0 for absent classes). */
export function classBalancedWeights(countsPerClass: readonly number[]): number[] {
  return countsPerClass.map((n) => (n > 0 ? 1 / n : 0));
}

/** The sample order of one epoch (indices into `labels`). */
export function epochOrder(labels: readonly number[], o: OrderOptions): number[] {
  const rng = createRng(deriveSeed(o.seed ?? 0, o.epoch ?? 0));
  if (o.weights) {
    const w = labels.map((l) => o.weights![l] ?? 0);
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error('class weights give every sample zero probability');
    const cdf: number[] = [];
    let acc = 0;
    for (const x of w) cdf.push((acc += x / total));
    const n = o.epochSize ?? labels.length;
    return Array.from({ length: n }, () => {
      const u = rng.next();
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    });
  }
  const order = labels.map((_, i) => i);
  return o.shuffle ? rng.shuffle(order) : order;
}

/** Splits an order into batches; the last, smaller one is kept unless dropLast. */
export function chunk<T>(items: readonly T[], size: number, dropLast = false): T[][] {
  if (!(size >= 1)) throw new Error(`batch size must be at least 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    const c = items.slice(i, i + size);
    if (c.length === size || !dropLast) out.push(c);
  }
  return out;
}

/** Runs load(b) for batch b while the consumer works on batch b-1. */
export async function* prefetched<T>(count: number, load: (b: number) => Promise<T>): AsyncGenerator<T> {
  let next = count > 0 ? load(0) : undefined;
  for (let b = 0; b < count; b++) {
    const current = await next!;
    next = b + 1 < count ? load(b + 1) : undefined;
    // An abandoned prefetch must not surface as an unhandled rejection.
    next?.catch(() => undefined);
    yield current;
  }
}
