/**
 * Classifier weight normalisation (tau-normalisation, Kang et al. 2020; the AliProducts report):
 * after training, each class's weight vector W_k becomes W_k / ||W_k||^tau, so classes with many
 * images (larger norms) no longer win by norm alone. tau = 0 leaves the classifier unchanged,
 * tau = 1 normalises fully. The bias is kept (MedStudio's choice: our head has one).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** kernel [D, K] (one column per class) -> tau-normalised kernel. */
export function tauNormalise(kernel: tf.Tensor2D, tau: number): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.norm(kernel, 'euclidean', 0, true); // [1, K]
    return tf.div(kernel, tf.pow(tf.maximum(norms, 1e-12), tau)) as tf.Tensor2D;
  });
}

/** Applies tau-normalisation in place to a Dense layer's kernel. */
export function applyWeightNorm(model: tfl.LayersModel, layerName: string, tau: number): void {
  if (tau === 0) return;
  const layer = model.getLayer(layerName);
  const [kernel, ...rest] = layer.getWeights();
  if (!kernel || kernel.rank !== 2) throw new Error(`layer '${layerName}' has no 2D kernel to normalise`);
  const normed = tauNormalise(kernel as tf.Tensor2D, tau);
  // getWeights() hands out the variables themselves: only the new value is ours to free.
  layer.setWeights([normed, ...rest]);
  normed.dispose();
}
