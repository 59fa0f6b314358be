/** Predictions and metrics of a classifier on one split (optionally with test-time augmentation). */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationDataset, DatasetSample, Split } from '../../data/datasets';
import { classificationMetrics } from '../../metrics';
import type { EvalMetrics } from '../../protocol';
import type { ResNetClassifier } from '../../networks/resnet';
import { predictWithTta } from '../longtail/tta';

export interface SplitPredictions {
  /** Row-major [n, K] softmax probabilities. */
  probs: Float32Array;
  labels: number[];
  samples: DatasetSample[];
  /** Mean cross-entropy. */
  loss: number;
}

export function logitsOf(net: ResNetClassifier, x: tf.Tensor4D): tf.Tensor2D {
  return (net.model.apply(x, { training: false }) as tf.Tensor[])[1] as tf.Tensor2D;
}

export async function predictSplit(net: ResNetClassifier, ds: ClassificationDataset, split: Split, opts: { batchSize: number; tta?: boolean; signal?: AbortSignal }): Promise<SplitPredictions> {
  const k = ds.classes.length;
  const n = ds.split(split).length;
  const probs = new Float32Array(n * k);
  const labels: number[] = [];
  const samples: DatasetSample[] = [];
  let lossSum = 0;
  let at = 0;
  for await (const b of ds.batches(split, { batchSize: opts.batchSize, shuffle: false })) {
    const [p, l] = tf.tidy(() => {
      const x = b.x as tf.Tensor4D;
      const pr = opts.tta ? predictWithTta((v) => logitsOf(net, v), x) : tf.softmax(logitsOf(net, x));
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(b.y, k).toFloat(), tf.log(tf.maximum(pr, 1e-12))), 1));
      return [pr, tf.sum(nll)];
    });
    probs.set(await p.data(), at * k);
    lossSum += (await l.data())[0]!;
    at += b.samples.length;
    labels.push(...b.samples.map((s) => s.label));
    samples.push(...b.samples);
    tf.dispose([p, l, b.x, b.y, b.mask].filter((t): t is tf.Tensor => t !== undefined));
  }
  return { probs, labels, samples, loss: n ? lossSum / n : NaN };
}

export async function evaluateSplit(
  net: ResNetClassifier,
  ds: ClassificationDataset,
  split: Split,
  epoch: number,
  opts: { batchSize: number; tta?: boolean },
): Promise<{ metrics: EvalMetrics; predictions: SplitPredictions }> {
  const predictions = await predictSplit(net, ds, split, opts);
  const metrics = classificationMetrics(predictions.probs, predictions.labels, ds.classes, split, epoch, predictions.loss);
  return { metrics, predictions };
}
