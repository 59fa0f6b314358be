/**
 * Classifier re-training (cRT; Kang et al. 2020 "Decoupling representation and classifier", the
 * AliProducts report's second stage): after the main training the backbone is frozen and only the
 * classifier is re-trained, from a fresh initialisation, with class-balanced sampling. Frozen means
 * all of it: the features are computed in inference mode, so BatchNorm's moving statistics stay as
 * the main training left them, and gradients exist for the classifier's weights only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../../engine/tensorReads';
import type { ResNetClassifier } from '../../networks/resnet';
import { crossEntropy, itemWeightedCrossEntropy } from '../../losses';
import { transferWeights } from './hiRes';

/** The classifier's trainable variables (the Dense layer that maps pooled features to logits). */
export function classifierVariables(net: ResNetClassifier): tf.Variable[] {
  return net.model.getLayer(net.logitsLayer).trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One cRT step: cross-entropy (items weighted, e.g. 0 for labels data cleaning dropped) of the
 * logits of the frozen backbone's features, and its gradient for the classifier's variables only.
 */
export async function classifierGradients(net: ResNetClassifier, x: tf.Tensor4D, y: tf.Tensor1D, itemWeights?: tf.Tensor1D): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  const vars = classifierVariables(net);
  const { value, grads } = tf.variableGrads(() => {
    // training: false — BatchNorm normalises with its moving statistics and does not update them.
    const [, logits] = net.model.apply(x, { training: false }) as [tf.Tensor4D, tf.Tensor2D];
    return itemWeights ? itemWeightedCrossEntropy(logits, y, itemWeights) : crossEntropy(logits, y);
  }, vars);
  const [loss] = await readScalars(value).finally(() => value.dispose());
  return { loss: loss!, grads };
}

/** Copies every weight of `from` into `to` except the classifier's, which keeps `to`'s (seeded) initialisation. */
export function transferBackbone(from: ResNetClassifier, to: ResNetClassifier): void {
  const head = to.model.getLayer(to.logitsLayer);
  const fresh = head.getWeights().map((w) => w.clone());
  transferWeights(from.model, to.model);
  head.setWeights(fresh);
  tf.dispose(fresh);
}
