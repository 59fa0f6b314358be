/**
 * The training inputs' mean intensity per channel, after the same normalisation training uses.
 * Kernel interpretation's L1 term pulls the optimised image toward it (the reference works on
 * mean-normalised inputs, so its L1 pulls toward the mean colour, not toward black), so it is
 * saved with each classifier.
 */
import type { ClassificationDataset } from './classification';

/** Per-channel mean over up to `maxSamples` training inputs, spread evenly over the split. */
export async function trainingInputMean(ds: ClassificationDataset, maxSamples = 256): Promise<number[]> {
  const train = ds.split('train');
  const channels = ds.inputShape[ds.inputShape.length - 1] ?? 1;
  const sums = new Float64Array(channels);
  let pixels = 0;
  const stride = Math.max(1, Math.floor(train.length / maxSamples));
  for (let i = 0; i < train.length; i += stride) {
    const x = await ds.load(train[i]!);
    for (let p = 0; p < x.length; p++) sums[p % channels]! += x[p]!;
    pixels += x.length / channels;
  }
  if (pixels === 0) throw new Error('the training split is empty: no input mean to record');
  return Array.from(sums, (s) => s / pixels);
}
