/**
 * Scores a segment2d model on a split: each image's prediction is resized (linear, on the class
 * probabilities) to the mask's own resolution, so Dice and HD95 (pixels; metrics/surfaceDistance,
 * the 3D U-Net's definition on a one-slice grid) are measured on the expert's grid, not the
 * network's. Per-class means as the 3D U-Net reports them (dice_<class>, hd95_<class>, meanDice,
 * meanHD95), plus the number of images with a foreground class predicted nowhere. With the
 * model's largestComponent (or the caller's choice), only each class's largest 4-connected
 * component is kept before scoring.
 */
import type { Segmentation2dDataset, Segmentation2dSample } from '../../data/datasets/segmentation2d';
import { scoreCase, summarise, type CaseScores } from '../segment/unetPredict';
import { labelsAtSize, predictProbabilities, type Segment2dModel } from './model';

export async function scoreSamples(m: Segment2dModel, ds: Segmentation2dDataset, samples: Segmentation2dSample[], signal?: AbortSignal, largestComponent = m.meta.largestComponent): Promise<Record<string, number>> {
  const K = ds.classes.length;
  const scores: CaseScores[] = [];
  let empty = 0;
  for (let b = 0; b < samples.length; b += 8) {
    if (signal?.aborted) throw new Error('evaluation cancelled');
    const chunk = samples.slice(b, b + 8);
    const inputs = await Promise.all(chunk.map(async (s) => (await ds.load(s)).image));
    const probs = await predictProbabilities(m, inputs);
    for (let i = 0; i < chunk.length; i++) {
      const truth = await ds.fullLabels(chunk[i]!);
      const pred = labelsAtSize(probs[i]!, ds.size, K, truth.width, truth.height, largestComponent);
      if (!pred.some((v) => v > 0)) empty++;
      scores.push(scoreCase(pred, truth.labels, [1, truth.height, truth.width], [1, 1, 1], K));
    }
  }
  return { ...summarise(scores, ds.classes), images: samples.length, imagesPredictedEmpty: empty };
}
