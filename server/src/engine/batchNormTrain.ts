/**
 * Batch normalisation in training mode as one differentiable op: y, and the batch mean and
 * (population) variance for the moving averages. On the wasm backend it is two fused kernels
 * each way (kernels/batchNormTrain.ts); elsewhere it is exactly tfjs-layers' composition
 * (tf.moments + tf.batchNorm), so results agree across backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/batchNormTrain';

export interface BatchNormTrainResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

let gradientRegistered = false;

function registerGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, gamma, mean, variance] = saved;
      // Eagerly, once: tfjs runs each input's gradient closure in its own tidy, which would
      // dispose the other two outputs of a lazily shared kernel call.
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        BATCH_NORM_TRAIN_GRAD,
        { dy: dy!, x: x!, mean: mean!, variance: variance!, gamma: gamma!, dmean: dmean!, dvariance: dvariance! },
        attrs as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
}

/** True when the fused kernels serve this tensor on the current backend. */
function fused(x: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && x.dtype === 'float32' && x.rank >= 2 && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') !== undefined;
}

/** Normalises over every axis but the last (channels-last), scales by gamma, shifts by beta. */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  if (fused(x)) {
    registerGradient();
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    // tfjs' batch-norm gradient tiles to rank 4 only (a 3D network's rank-5 input throws
    // "rank of input 4 must match length of reps"): normalise a rank-4 view of the same values.
    const x4 = x.rank === 4 ? x : tf.reshape(x, [1, 1, -1, x.shape[x.rank - 1]!]);
    const y = tf.batchNorm(x4, mean, variance, beta, gamma, epsilon);
    return { y: x.rank === 4 ? y : tf.reshape(y, x.shape), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
