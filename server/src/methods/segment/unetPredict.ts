/**
 * U-Net inference on whole cases: sliding windows over the volume at the plan's resolution,
 * optional mirroring test-time augmentation and largest-component post-processing, then Dice
 * and HD95 per class against the label map.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mirroredPredict, slidingWindow } from '../../eval/slidingWindow';
import type { Unet3d } from '../../networks/unet3d';
import { classMask, hd95 } from '../../metrics/surfaceDistance';
import { keepLargestComponent } from '../../transforms/largestComponent';
import type { CaseVolume, Triple } from '../../data/volumes/caseVolume';
import { diceScores } from './losses';

export interface PredictOptions {
  patch: Triple;
  classes: number;
  mirror: boolean;
  overlap: number;
  largestComponent: boolean;
  batchSize: number;
  signal?: AbortSignal;
}

/** Label map (D*H*W) of a normalised case. */
export async function predictCase(net: Unet3d, c: Pick<CaseVolume, 'image' | 'shape'>, o: PredictOptions): Promise<Int32Array> {
  const logits = (x: tf.Tensor5D) => net.apply(x);
  const predict = o.mirror ? mirroredPredict(logits, [1, 2, 3]) : (x: tf.Tensor5D) => tf.tidy(() => tf.softmax(logits(x)) as tf.Tensor5D);
  const probs = await slidingWindow(c.image, c.shape, predict, { patch: o.patch, classes: o.classes, overlap: o.overlap, batchSize: o.batchSize, signal: o.signal });
  const K = o.classes;
  const labels = new Int32Array(probs.length / K);
  for (let v = 0; v < labels.length; v++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[v * K + k]! > probs[v * K + best]!) best = k;
    labels[v] = best;
  }
  return o.largestComponent ? keepLargestComponent(labels, c.shape, K) : labels;
}

export interface CaseScores {
  dice: number[];
  hd95: number[];
}

export function scoreCase(pred: Int32Array, truth: Int32Array, shape: Triple, spacing: Triple, classes: number): CaseScores {
  const dice = diceScores(pred, truth, classes);
  const h = Array.from({ length: classes }, (_, k) => (k === 0 ? NaN : hd95(classMask(pred, k), classMask(truth, k), shape, spacing)));
  return { dice, hd95: h };
}

/** Per-class means (NaN-skipping) as metrics: dice_<class>, hd95_<class>, meanDice and meanHD95 over foreground classes. */
export function summarise(scores: CaseScores[], classNames: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  const mean = (v: number[]) => {
    const f = v.filter((x) => !Number.isNaN(x));
    return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
  };
  const fgDice: number[] = [];
  const fgHd: number[] = [];
  classNames.forEach((name, k) => {
    const d = mean(scores.map((s) => s.dice[k]!));
    if (!Number.isNaN(d)) out[`dice_${name}`] = d;
    if (k === 0) return;
    const h = mean(scores.map((s) => s.hd95[k]!));
    if (!Number.isNaN(h)) out[`hd95_${name}`] = h;
    if (!Number.isNaN(d)) fgDice.push(d);
    if (!Number.isNaN(h)) fgHd.push(h);
  });
  if (fgDice.length) out.meanDice = mean(fgDice);
  if (fgHd.length) out.meanHD95 = mean(fgHd);
  return out;
}
