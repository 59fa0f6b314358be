/**
 * Out-of-fold label scores for data cleaning: the training images are split into k folds,
 * stratified by class; for each fold a model trained on the other folds predicts it. A model
 * scoring images it was trained on has memorised their labels (rare classes most of all), so
 * its loss says little about which labels are wrong.
 */
import { createRng, deriveSeed } from '../../transforms/rng';

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

/** The seed of a cleaning round's folds (each round re-deals the images it still scores). */
export function foldSeed(seed: number, round: number): number {
  return deriveSeed(seed, 1000 + round);
}

/**
 * One cleaning round's out-of-fold scoring, run as trainer phases: the model of fold f trains on
 * every scored image outside fold f (`heldOutIds`), then its predictions of fold f's images are
 * recorded (`recordFold`). Serialisable (`probs` as numbers, null for unrecorded), so a resumed
 * run keeps the folds already scored.
 */
export interface OutOfFoldRound {
  round: number;
  k: number;
  numClasses: number;
  /** The images scored this round (the training images still kept), in order. */
  ids: string[];
  labels: number[];
  folds: number[];
  /** Row-major [ids.length, numClasses]; NaN until the fold holding the image is recorded. */
  probs: Float32Array;
  recorded: number[];
}

export function startRound(round: number, samples: readonly { id: string; label: number }[], k: number, numClasses: number, seed: number): OutOfFoldRound {
  const labels = samples.map((s) => s.label);
  return { round, k, numClasses, ids: samples.map((s) => s.id), labels, folds: stratifiedFolds(labels, k, foldSeed(seed, round)), probs: new Float32Array(samples.length * numClasses).fill(NaN), recorded: [] };
}

/** The images fold f's model must not train on. */
export function heldOutIds(r: OutOfFoldRound, fold: number): Set<string> {
  return new Set(r.ids.filter((_, i) => r.folds[i] === fold));
}

/** Records fold f's model's probabilities for the images it held out, taken from its predictions of (at least) those images. */
export function recordFold(r: OutOfFoldRound, fold: number, predicted: { ids: readonly string[]; probs: ArrayLike<number> }): void {
  const k = r.numClasses;
  const row = new Map(predicted.ids.map((id, j) => [id, j]));
  r.ids.forEach((id, i) => {
    if (r.folds[i] !== fold) return;
    const j = row.get(id);
    if (j === undefined) throw new Error(`cleaning round ${r.round}, fold ${fold + 1}: no prediction for held-out image ${id}`);
    for (let c = 0; c < k; c++) r.probs[i * k + c] = predicted.probs[j * k + c]!;
  });
  if (!r.recorded.includes(fold)) r.recorded.push(fold);
}

/** The round's out-of-fold probabilities; throws unless every fold with images was recorded. */
export function roundProbs(r: OutOfFoldRound): Float32Array {
  const missing = [...new Set(r.folds)].filter((f) => !r.recorded.includes(f));
  if (missing.length) throw new Error(`cleaning round ${r.round}: folds ${missing.map((f) => f + 1).join(', ')} have not scored their images`);
  return r.probs;
}

export function roundToJson(r: OutOfFoldRound): Record<string, unknown> {
  return { ...r, probs: Array.from(r.probs, (v) => (Number.isNaN(v) ? null : v)) };
}

export function roundFromJson(j: Record<string, unknown>): OutOfFoldRound {
  const r = j as unknown as Omit<OutOfFoldRound, 'probs'> & { probs: (number | null)[] };
  return { ...r, probs: Float32Array.from(r.probs, (v) => (v === null ? NaN : v)) };
}
