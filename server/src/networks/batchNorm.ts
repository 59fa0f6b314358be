/**
 * tfjs-layers' BatchNormalization with its training step on MedStudio's fused batch-norm op
 * (engine/batchNormTrain.ts): same weights, same config, same class name (saved models load
 * with or without MedStudio), same moving-average update; inference and unusual axes stay
 * tfjs-layers' own. On wasm the fused op is 4 passes over the activations instead of ~40.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTrain } from '../engine/batchNormTrain';

type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];

/** The fields of tfjs-layers' BatchNormalization that the training step reads. */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(v: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(v: tf.Tensor): void };
}

type LayerClass = new (args: BatchNormArgs) => tfl.layers.Layer;

function stockClass(): LayerClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (!entry) throw new Error('tfjs-layers BatchNormalization is not registered');
  return entry[0] as unknown as LayerClass;
}

let fastClass: LayerClass | undefined;

function fastBatchNormClass(): LayerClass {
  if (fastClass) return fastClass;
  const Base = stockClass();
  class FastBatchNormalization extends Base {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
      const f = this as unknown as BatchNormFields;
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      const axis = f.axis >= 0 ? f.axis : f.axis + input.rank;
      if (!kwargs.training || axis !== input.rank - 1 || !f.center || !f.scale || !f.gamma || !f.beta) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const { y, mean, variance } = batchNormTrain(input, f.gamma!.read() as tf.Tensor1D, f.beta!.read() as tf.Tensor1D, f.epsilon);
        // tfjs-layers' update: moving -= (moving - batch) * (1 - momentum).
        for (const [moving, batch] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
          tf.tidy(() => {
            const orig = moving.read();
            moving.write(tf.sub(orig, tf.mul(tf.sub(orig, batch), 1 - f.momentum)));
          });
        }
        return y;
      });
    }
  }
  fastClass = FastBatchNormalization as unknown as LayerClass;
  return fastClass;
}

/** Drop-in for tfl.layers.batchNormalization with the fused training step. */
export function batchNormalization(args: BatchNormArgs = {}): tfl.layers.Layer {
  return new (fastBatchNormClass())(args);
}
