/**
 * Long-tail balancing (train.balance): `sampler` draws training images with probability
 * 1 / count(class) (the dataset's class-balanced order, data/datasets classBalancedWeights);
 * `reweight` keeps the natural order and weights each image's cross-entropy by its class's
 * inverse frequency, scaled so that the average weight over the training set is 1.
 */
import { classBalancedWeights } from '../../data/datasets';

export type Balance = 'none' | 'sampler' | 'reweight';

/** Loss weight per class: N / (K_present * n_c); 0 for classes absent from training. */
export function inverseFrequencyWeights(countsPerClass: readonly number[]): number[] {
  const n = countsPerClass.reduce((a, b) => a + b, 0);
  const present = countsPerClass.filter((c) => c > 0).length;
  return countsPerClass.map((c) => (c > 0 ? n / (present * c) : 0));
}

/** What a balance setting means for the batch order and the loss. */
export function balancePlan(balance: Balance, countsPerClass: readonly number[]): { samplerWeights?: number[]; lossWeights?: number[] } {
  if (balance === 'sampler') return { samplerWeights: classBalancedWeights(countsPerClass) };
  if (balance === 'reweight') return { lossWeights: inverseFrequencyWeights(countsPerClass) };
  return {};
}
