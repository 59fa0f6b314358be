/**
 * Segmentation loss and metrics. Loss: soft Dice (mean over the foreground classes) + voxel
 * cross-entropy. Metrics: hard Dice per class per volume.
 */
import * as tf from '@tensorflow/tfjs-core';

/** logits [B, D, H, W, K], labels [B, D, H, W] int -> Dice + CE (scalar); also the two terms. */
export function diceCeLoss(logits: tf.Tensor5D, labels: tf.Tensor4D): { loss: tf.Scalar; dice: tf.Scalar; ce: tf.Scalar } {
  return tf.tidy(() => {
    const k = logits.shape[4];
    const flat = tf.reshape(logits, [-1, k]) as tf.Tensor2D;
    const onehot = tf.cast(tf.oneHot(tf.reshape(labels, [-1]) as tf.Tensor1D, k), 'float32');
    const logp = tf.logSoftmax(flat);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
    const p = tf.exp(logp);
    const inter = tf.sum(tf.mul(p, onehot), 0);
    const denom = tf.add(tf.sum(p, 0), tf.sum(onehot, 0));
    const dicePerClass = tf.div(tf.add(tf.mul(inter, 2), 1e-5), tf.add(denom, 1e-5));
    // Foreground classes only (MONAI's include_background=False): with ~90% background voxels,
    // a background term rewards the all-background answer few-label training otherwise finds.
    const fg = k > 1 ? tf.slice(dicePerClass, [1], [k - 1]) : dicePerClass;
    const dice = tf.sub(1, tf.mean(fg)) as tf.Scalar;
    return { loss: tf.add(dice, ce) as tf.Scalar, dice, ce };
  });
}

/**
 * Hard Dice of each class in one volume: 2|P∩G| / (|P| + |G|); NaN when the class is in neither
 * (it then does not count towards that class's mean).
 */
export function diceScores(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number[] {
  const inter = new Float64Array(classes);
  const p = new Float64Array(classes);
  const g = new Float64Array(classes);
  for (let i = 0; i < truth.length; i++) {
    const a = pred[i]!;
    const b = truth[i]!;
    p[a]!++;
    g[b]!++;
    if (a === b) inter[a]!++;
  }
  return Array.from(inter, (x, c) => (p[c]! + g[c]! === 0 ? NaN : (2 * x) / (p[c]! + g[c]!)));
}

/** Running per-class mean of per-volume Dice. */
export class DiceMeter {
  private readonly sums: number[];
  private readonly counts: number[];
  constructor(readonly classNames: string[]) {
    this.sums = classNames.map(() => 0);
    this.counts = classNames.map(() => 0);
  }
  add(scores: number[]): void {
    scores.forEach((s, c) => {
      if (Number.isNaN(s)) return;
      this.sums[c]! += s;
      this.counts[c]!++;
    });
  }
  /** dice_<class> for every class seen, and meanDice over the foreground classes (all but the first). */
  result(): Record<string, number> {
    const out: Record<string, number> = {};
    const fg: number[] = [];
    this.classNames.forEach((name, c) => {
      if (!this.counts[c]) return;
      const v = this.sums[c]! / this.counts[c]!;
      out[`dice_${name}`] = v;
      if (c > 0) fg.push(v);
    });
    if (fg.length) out.meanDice = fg.reduce((a, b) => a + b, 0) / fg.length;
    return out;
  }
}
