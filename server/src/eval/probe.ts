/**
 * Linear-probe evaluation of a frozen encoder: a softmax (multinomial logistic-regression) head
 * trained on the train split's features, evaluated on the test split's. Features are
 * standardised with the train statistics; full-batch Adam with L2 (ours: cheap and stable on a
 * few thousand features, no tuning per run).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../engine/tensorReads';
import { argmaxRows } from '../metrics';

export interface FeatureSet {
  /** Row-major [n, dim]. */
  features: Float32Array;
  dim: number;
  labels: number[];
}

export interface ProbeResult {
  predictions: number[];
  /** Row-major [n, numClasses] class probabilities (or vote shares for k-NN). */
  probabilities: Float32Array;
  accuracy: number;
}

export interface LinearProbeOptions {
  iterations: number;
  lr: number;
  weightDecay: number;
  seed: number;
}

export const defaultLinearProbe: LinearProbeOptions = { iterations: 300, lr: 0.05, weightDecay: 1e-4, seed: 1 };

export async function linearProbe(train: FeatureSet, test: FeatureSet, numClasses: number, o: LinearProbeOptions = defaultLinearProbe): Promise<ProbeResult> {
  if (train.dim !== test.dim) throw new Error(`train features are ${train.dim}-d, test features ${test.dim}-d`);
  if (train.labels.length === 0) throw new Error('linear probe: the train split is empty');
  const { mean, std } = columnStats(train);
  const standardise = (s: FeatureSet) => tf.tidy(() => tf.div(tf.sub(tf.tensor2d(s.features, [s.labels.length, s.dim]), mean), std));
  const x = standardise(train);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(train.labels, 'int32'), numClasses));
  // Inside tidy so that the initial values are released once the variables hold them.
  const w = tf.tidy(() => tf.variable(tf.randomNormal([train.dim, numClasses], 0, 0.01, 'float32', o.seed)));
  const b = tf.tidy(() => tf.variable(tf.zeros([numClasses])));
  const opt = tf.train.adam(o.lr);
  for (let i = 0; i < o.iterations; i++) {
    opt.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)), tf.mul(o.weightDecay, tf.sum(tf.square(w)))) as tf.Scalar, false, [w, b]);
  }
  const xt = standardise(test);
  const probs = tf.tidy(() => tf.softmax(tf.add(tf.matMul(xt, w), b)));
  const probabilities = await readFloats(probs).finally(() => {
    tf.dispose([x, y, w, b, xt, probs, mean, std]);
    opt.dispose();
  });
  return withAccuracy(probabilities, numClasses, test.labels);
}

function columnStats(s: FeatureSet): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(s.features, [s.labels.length, s.dim]);
    const m = tf.moments(x, 0);
    return { mean: m.mean as tf.Tensor1D, std: tf.add(tf.sqrt(m.variance), 1e-6) as tf.Tensor1D };
  });
}

/** Arg-max predictions and accuracy from row-major class scores. */
export function withAccuracy(probabilities: Float32Array, numClasses: number, labels: number[]): ProbeResult {
  const predictions = argmaxRows(probabilities, numClasses);
  const correct = predictions.filter((p, i) => p === labels[i]).length;
  return { predictions, probabilities, accuracy: labels.length ? correct / labels.length : 0 };
}
