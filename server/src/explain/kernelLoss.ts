/**
 * The kernel-interpretation objective (ALGORITHMS.md), for feature maps A of shape
 * [1, ...spatial, C] and a kernel (channel) k:
 *   L_sel  = ||A_k(x') - A_k(x)||_2 / ||A_k(x)||_2            (the H*W factors cancel)
 *   L_rest = sum_{j != k} ||A_j(x')||_1 / sum_{j != k} ||A_j(x)||_1
 *            (= mean_j ||A_j(x')||_1/(HW) divided by ||A_{j != k}(x)||_1/(HW(C-1)))
 *   loss   = alpha L_sel + beta L_rest + gamma mean|x' - m| + delta TV(x')
 * with m the training inputs' mean intensity per channel (the reference works on mean-normalised
 * inputs, so its L1 term pulls x' toward the mean colour, not toward black).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelWeights {
  alpha: number;
  beta: number;
  gamma: number;
  /** Total-variation weight (0: off). */
  delta: number;
}

/**
 * The reference's (alpha, beta, gamma) by convolution index (its VGG16 scripts: conv1_1, conv1_2,
 * conv2_1, then every later convolution). The scripts vary the second and third within a range
 * (alpha 1e4-1e5, beta 1-10); these take the lower end. delta (TV) is off unless asked for.
 */
export const REFERENCE_WEIGHTS: readonly KernelWeights[] = [
  { alpha: 1e5, beta: 1, gamma: 1e4, delta: 0 },
  { alpha: 1e4, beta: 1, gamma: 100, delta: 0 },
  { alpha: 1000, beta: 1, gamma: 100, delta: 0 },
];
export const LATER_WEIGHTS: KernelWeights = { alpha: 1, beta: 1, gamma: 1, delta: 0 };

/** Default weights for a layer at this convolution index (1 = the first convolution). */
export function weightsForConvolution(index: number): KernelWeights {
  return { ...(REFERENCE_WEIGHTS[index - 1] ?? LATER_WEIGHTS) };
}

/** What the loss compares against: the original activations of kernel k and of the rest. */
export interface KernelTargets {
  /** A_k(x), [1, ...spatial]. */
  selected: tf.Tensor;
  /** ||A_k(x)||_2. */
  selectedNorm: number;
  /** sum_{j != k} |A_j(x)|. */
  restL1: number;
  /** One-hot mask of kernel k over the channels, [C]. */
  mask: tf.Tensor1D;
}

/** What the L1 term pulls x' toward: the training inputs' mean per channel, or the image's own when the run saved none. */
export interface L1Anchor {
  mean: number[];
  source: 'training data' | 'this image';
}

/** sqrt(sum v^2 + eps): an L2 norm whose gradient stays finite at v = 0 (where x' starts). */
function l2(v: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.add(tf.sum(tf.square(v)), 1e-12)) as tf.Scalar;
}

export function kernelTargets(a: tf.Tensor, kernel: number): KernelTargets {
  const channels = a.shape[a.shape.length - 1]!;
  if (!Number.isInteger(kernel) || kernel < 0 || kernel >= channels) throw new Error(`kernel ${kernel} is out of range: the layer has ${channels} kernels`);
  if (channels < 2) throw new Error('the layer has a single kernel: there are no others to silence');
  const mask = tf.tidy(() => tf.cast(tf.reshape(tf.oneHot(tf.tensor1d([kernel], 'int32'), channels), [channels]), 'float32') as tf.Tensor1D);
  const selected = tf.tidy(() => tf.sum(tf.mul(a, mask), -1));
  const selectedNorm = tf.tidy(() => l2(selected).dataSync()[0]!);
  const restL1 = tf.tidy(() => tf.sum(tf.mul(tf.abs(a), tf.sub(1, mask))).dataSync()[0]!);
  const t = { selected, selectedNorm, restL1, mask };
  if (selectedNorm <= 1e-6 || restL1 <= 1e-6) {
    disposeTargets(t);
    if (selectedNorm <= 1e-6) throw new Error(`kernel ${kernel} is silent on this image (zero activation): pick an active kernel (see the top kernels)`);
    throw new Error('the other kernels are already silent on this image');
  }
  return t;
}

export function disposeTargets(t: KernelTargets): void {
  t.selected.dispose();
  t.mask.dispose();
}

/** Mean absolute difference between neighbours along every spatial axis of [1, ...spatial, C]. */
export function totalVariation(x: tf.Tensor): tf.Scalar {
  const spatial = x.shape.length - 2;
  let tv: tf.Scalar = tf.scalar(0);
  for (let axis = 1; axis <= spatial; axis++) {
    const n = x.shape[axis]!;
    if (n < 2) continue;
    const size = x.shape.map((s, i) => (i === axis ? n - 1 : s));
    const begin1 = x.shape.map((_, i) => (i === axis ? 1 : 0));
    const diff = tf.sub(tf.slice(x, begin1, size), tf.slice(x, x.shape.map(() => 0), size));
    tv = tf.add(tv, tf.mean(tf.abs(diff)));
  }
  return tv;
}

export interface KernelLossTerms {
  loss: tf.Scalar;
  lSel: tf.Scalar;
  lRest: tf.Scalar;
}

/**
 * The loss terms for activations `a` of the image `x` being optimised; `mean` (per channel, or
 * one value) is the L1 term's anchor m.
 */
export function kernelLoss(a: tf.Tensor, x: tf.Tensor, t: KernelTargets, w: KernelWeights, mean: readonly number[]): KernelLossTerms {
  const selected = tf.sum(tf.mul(a, t.mask), -1);
  const lSel = tf.div(l2(tf.sub(selected, t.selected)), t.selectedNorm) as tf.Scalar;
  const lRest = tf.div(tf.sum(tf.mul(tf.abs(a), tf.sub(1, t.mask))), t.restL1) as tf.Scalar;
  const m = mean.length === 1 ? tf.scalar(mean[0]!) : tf.tensor1d([...mean]);
  let loss = tf.add(tf.add(tf.mul(lSel, w.alpha), tf.mul(lRest, w.beta)), tf.mul(tf.mean(tf.abs(tf.sub(x, m))), w.gamma)) as tf.Scalar;
  if (w.delta > 0) loss = tf.add(loss, tf.mul(totalVariation(x), w.delta));
  return { loss, lSel, lRest };
}
