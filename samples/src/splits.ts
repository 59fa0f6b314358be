/** Seeded stratified split assignment used by the sample generator. */
import type { Rng } from '../../server/src/transforms/rng';

export type Split = 'train' | 'val' | 'test';

/**
 * Splits `n` items of one class into train/val/test with at least one val and one test item when
 * n >= 3 (so even the rarest class is evaluated), in a seeded random order.
 */
export function splitClass(rng: Rng, n: number, val = 0.15, test = 0.15): Split[] {
  const nVal = n >= 3 ? Math.max(1, Math.round(n * val)) : 0;
  const nTest = n >= 3 ? Math.max(1, Math.round(n * test)) : 0;
  const splits: Split[] = [...Array<Split>(n - nVal - nTest).fill('train'), ...Array<Split>(nVal).fill('val'), ...Array<Split>(nTest).fill('test')];
  return rng.shuffle(splits);
}
