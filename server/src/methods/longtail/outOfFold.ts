/**
 * Out-of-fold label scores for data cleaning: the training images are split into k folds,
 * stratified by class; for each fold a model trained on the other folds predicts it. A model
 * scoring images it was trained on has memorised their labels (rare classes most of all), so
 * its loss says little about which labels are wrong.
 */
import { createRng } from '../../transforms/rng';

/** Fold index (0..k-1) of each sample: each class's samples shuffled with the seed, then dealt round-robin. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`out-of-fold cleaning needs at least 2 folds, got ${k}`);
  const rng = createRng(seed);
  const folds = new Array<number>(labels.length).fill(0);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  let offset = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    // Each class starts where the last left off, so small classes do not all land in fold 0.
    rng.shuffle([...byClass.get(label)!]).forEach((i, j) => (folds[i] = (offset + j) % k));
    offset += byClass.get(label)!.length;
  }
  return folds;
}

/**
 * Row-major probabilities [n, numClasses] where row i comes from the model trained without
 * sample i's fold. `trainAndPredict(heldOut)` trains on every sample not in `heldOut` and returns
 * the probabilities of the `heldOut` samples, in that order.
 */
export async function outOfFoldProbs(
  folds: readonly number[],
  k: number,
  numClasses: number,
  trainAndPredict: (heldOut: number[], fold: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const out = new Float32Array(folds.length * numClasses).fill(NaN);
  for (let f = 0; f < k; f++) {
    const heldOut = folds.flatMap((g, i) => (g === f ? [i] : []));
    if (heldOut.length === 0) continue;
    const probs = await trainAndPredict(heldOut, f);
    if (probs.length !== heldOut.length * numClasses) throw new Error(`fold ${f}: got ${probs.length} probabilities for ${heldOut.length} images x ${numClasses} classes`);
    heldOut.forEach((i, j) => out.set(probs.subarray(j * numClasses, (j + 1) * numClasses), i * numClasses));
  }
  return out;
}
