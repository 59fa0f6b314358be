/**
 * InfoNCE as in MoCo: logits = [q.k+, q.queue^T] / T, cross-entropy with the positive at index 0,
 * averaged over the batch. q, k and the queue rows are L2-normalised; k is a constant.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../../engine/tensorReads';

export function infoNCELogits(q: tf.Tensor2D, k: tf.Tensor2D, negatives: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(q, k), 1, true);
    const neg = tf.matMul(q, negatives, false, true);
    return tf.div(tf.concat([pos, neg], 1), temperature) as tf.Tensor2D;
  });
}

export function infoNCE(q: tf.Tensor2D, k: tf.Tensor2D, negatives: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logits = infoNCELogits(q, k, negatives, temperature);
    const positive = tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), positive)) as tf.Scalar;
  });
}

/** Fraction of queries whose positive key beats every negative (a training health signal). */
export async function positiveTop1(q: tf.Tensor2D, k: tf.Tensor2D, negatives: tf.Tensor2D): Promise<number> {
  const top1 = tf.tidy(() => {
    const logits = infoNCELogits(q, k, negatives, 1);
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), 0), 'float32'));
  });
  const [v] = await readScalars(top1).finally(() => top1.dispose());
  return v!;
}
