/**
 * Iterative data cleaning (AliProducts report, ALGORITHMS.md): score every training image's label
 * with a model that did not see it (k-fold, out of fold: outOfFold.ts), -log p(given label);
 * flag the worst of each class (a quota per class, so rare classes, which a global ranking
 * under imbalance would mostly flag, are not emptied), drop them from the next round's loss, and
 * write them as a review queue the annotator opens
 * (`{ suspects: [{ image, imageId, givenLabel, suggestedLabel, score }] }`, highest score first).
 */
import { writeFileAtomic } from '../../data/atomicWrite';

export interface LabelScore {
  id: string;
  image: string;
  imageId?: number;
  given: number;
  suggested: number;
  /** -log p(given label): higher = more likely mislabelled. */
  score: number;
  /** Out of fold: the fold that held the image out (1-based), whose model scored it. */
  fold?: number;
}

export interface SuspectsReport {
  round: number;
  /** How scores were made: out of fold (k models, each scoring the images it did not see), or the training model's own loss (older runs). */
  scoring: 'loss' | 'out-of-fold';
  classes: string[];
  /** Out of fold: the number of folds (models) that scored the round. */
  folds?: number;
  flagged: number;
  of: number;
  /** Flagged labels by given class (each leaves the loss from the next round on), every class listed. */
  removedPerClass: Record<string, number>;
  suspects: { image: string; imageId?: number; id: string; givenLabel: string; suggestedLabel: string; score: number; fold?: number }[];
}

/** Loss-based scores from row-major probabilities [n, k]. */
export function scoreLabels(probs: ArrayLike<number>, items: readonly { id: string; image: string; imageId?: number; label: number; fold?: number }[], numClasses: number): LabelScore[] {
  return items.map((it, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    const p = Math.max(probs[i * numClasses + it.label]!, 1e-12);
    const s: LabelScore = { id: it.id, image: it.image, given: it.label, suggested: best, score: -Math.log(p) };
    if (it.imageId !== undefined) s.imageId = it.imageId;
    if (it.fold !== undefined) s.fold = it.fold;
    return s;
  });
}

const byScore = (a: LabelScore, b: LabelScore) => b.score - a.score || a.id.localeCompare(b.id);

/**
 * Per given class, the worst `fraction` of its labels (rounded; never the class's last label),
 * highest score first overall; only labels the model disputes.
 */
export function flagSuspects(scores: readonly LabelScore[], fraction: number): LabelScore[] {
  if (fraction <= 0 || scores.length === 0) return [];
  const byClass = new Map<number, LabelScore[]>();
  for (const s of scores) byClass.set(s.given, [...(byClass.get(s.given) ?? []), s]);
  const flagged: LabelScore[] = [];
  for (const members of byClass.values()) {
    const quota = Math.min(members.length - 1, Math.round(members.length * fraction));
    flagged.push(...[...members].sort(byScore).slice(0, quota));
  }
  return flagged.filter((s) => s.suggested !== s.given).sort(byScore);
}

export function suspectsReport(round: number, classes: readonly string[], flagged: readonly LabelScore[], of: number, scoring: SuspectsReport['scoring'] = 'loss', folds?: number): SuspectsReport {
  return {
    round,
    scoring,
    ...(folds !== undefined ? { folds } : {}),
    classes: [...classes],
    flagged: flagged.length,
    of,
    removedPerClass: Object.fromEntries(classes.map((c, i) => [c, flagged.filter((s) => s.given === i).length])),
    suspects: flagged.map((s) => ({
      image: s.image,
      ...(s.imageId !== undefined ? { imageId: s.imageId } : {}),
      id: s.id,
      givenLabel: classes[s.given]!,
      suggestedLabel: classes[s.suggested]!,
      score: Number(s.score.toFixed(6)),
      ...(s.fold !== undefined ? { fold: s.fold } : {}),
    })),
  };
}

export async function writeSuspectsReport(file: string, report: SuspectsReport): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
}
