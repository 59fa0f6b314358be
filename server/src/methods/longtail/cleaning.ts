/**
 * Iterative data cleaning (AliProducts report): after a round of training, score every training
 * image's label — the model's loss on it, -log p(given label), or an out-of-fold probability
 * computed the same way from a model that did not see it — flag the worst fraction as suspect,
 * drop them from the next round's loss, and write them as a review queue the annotator opens
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
}

export interface SuspectsReport {
  round: number;
  scoring: 'loss' | 'out-of-fold';
  classes: string[];
  flagged: number;
  of: number;
  suspects: { image: string; imageId?: number; id: string; givenLabel: string; suggestedLabel: string; score: number }[];
}

/** Loss-based scores from row-major probabilities [n, k]. */
export function scoreLabels(probs: ArrayLike<number>, items: readonly { id: string; image: string; imageId?: number; label: number }[], numClasses: number): LabelScore[] {
  return items.map((it, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    const p = Math.max(probs[i * numClasses + it.label]!, 1e-12);
    const s: LabelScore = { id: it.id, image: it.image, given: it.label, suggested: best, score: -Math.log(p) };
    if (it.imageId !== undefined) s.imageId = it.imageId;
    return s;
  });
}

/** The worst `fraction` (at least one when fraction > 0), highest score first; only labels the model disputes. */
export function flagSuspects(scores: readonly LabelScore[], fraction: number): LabelScore[] {
  if (fraction <= 0 || scores.length === 0) return [];
  const n = Math.max(1, Math.round(scores.length * fraction));
  return [...scores]
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, n)
    .filter((s) => s.suggested !== s.given);
}

export function suspectsReport(round: number, classes: readonly string[], flagged: readonly LabelScore[], of: number, scoring: SuspectsReport['scoring'] = 'loss'): SuspectsReport {
  return {
    round,
    scoring,
    classes: [...classes],
    flagged: flagged.length,
    of,
    suspects: flagged.map((s) => ({
      image: s.image,
      ...(s.imageId !== undefined ? { imageId: s.imageId } : {}),
      id: s.id,
      givenLabel: classes[s.given]!,
      suggestedLabel: classes[s.suggested]!,
      score: Number(s.score.toFixed(6)),
    })),
  };
}

export async function writeSuspectsReport(file: string, report: SuspectsReport): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
}
