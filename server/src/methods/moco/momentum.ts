/**
 * The key encoder follows the query encoder: theta_k <- m * theta_k + (1 - m) * theta_q, over the
 * trainable parameters only (BatchNorm statistics of the key encoder come from its own forward
 * passes, as in the reference).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export function momentumUpdate(key: readonly tf.Variable[], query: readonly tf.Variable[], m: number): void {
  if (key.length !== query.length) throw new Error(`key encoder has ${key.length} parameters, query encoder ${query.length}`);
  tf.tidy(() => {
    key.forEach((k, i) => {
      const q = query[i]!;
      if (k.shape.join() !== q.shape.join()) throw new Error(`parameter ${i} shape ${k.shape} != ${q.shape}`);
      k.assign(tf.add(tf.mul(k, m), tf.mul(q, 1 - m)));
    });
  });
}

/** The tf.Variables behind a model's trainable weights, in layer order. */
export function trainableVariables(models: readonly tfl.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** Copies every weight (trainable and BatchNorm statistics) of `from` into `to`. */
export function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  tf.tidy(() => to.setWeights(from.getWeights()));
}
