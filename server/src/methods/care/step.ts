/**
 * One optimisation step of a classifier: cross-entropy (optionally class- and item-weighted);
 * in CARE's stage 2 every batch is (1 - alpha) * CE, plus alpha * L_cam where the batch holds a
 * rare-class image with a box.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../../engine/tensorReads';
import { attentionLoss, camFromFeatures, crossEntropy, itemWeightedCrossEntropy } from '../../losses';
import type { ResNetClassifier } from '../../networks/resnet';
import { camWeights } from './camWeights';

export interface AttentionBatch {
  /** [B, H, W] inner / outer masks (zero for images that do not take part). */
  inner: tf.Tensor3D;
  outer: tf.Tensor3D;
  /** [B] 1 for rare-class images with a box. */
  take: tf.Tensor1D;
  threshold: number;
}

export interface StepInput {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** [B] per-image loss weights (class re-weighting x kept/dropped by data cleaning). */
  itemWeights?: tf.Tensor1D;
  /** CARE stage 2: the attention loss's weight; CE is weighted 1 - alpha in every stage-2 batch. */
  alpha?: number;
  /** The batch's boxed rare-class images (stage 2, where there are any). */
  attention?: AttentionBatch;
}

export interface StepResult {
  loss: number;
  ce: number;
  /** L_cam summed over the batch (0 without attention). */
  attention: number;
}

/** The training loss of one batch (model in training mode: BatchNorm uses and updates batch statistics). */
export function batchLoss(net: ResNetClassifier, input: StepInput, out?: { ce?: tf.Scalar; lcam?: tf.Scalar }): tf.Scalar {
  const [A, logits] = net.model.apply(input.x, { training: true }) as [tf.Tensor4D, tf.Tensor2D];
  const ce = input.itemWeights ? itemWeightedCrossEntropy(logits, input.y, input.itemWeights) : crossEntropy(logits, input.y);
  const alpha = input.alpha ?? 0;
  let total: tf.Scalar = alpha ? (tf.mul(ce, 1 - alpha) as tf.Scalar) : ce;
  const att = input.attention;
  if (att) {
    if (input.alpha === undefined) throw new Error('an attention batch needs alpha (CARE stage 2)');
    const w = camWeights(net.head, A, input.y, logits.shape[1]);
    const [, H, W] = input.x.shape;
    const cam = camFromFeatures(A, w, H, W);
    const lcam = attentionLoss(cam, att.inner, att.outer, att.take, att.threshold);
    total = tf.add(total, tf.mul(lcam, alpha)) as tf.Scalar;
    if (out) out.lcam = tf.keep(lcam.clone());
  }
  if (out) out.ce = tf.keep(ce.clone());
  return total;
}

/** The loss of one batch and its gradient for every trainable weight (the trainer adds weight decay and applies it). */
export async function careGradients(net: ResNetClassifier, input: StepInput): Promise<StepResult & { grads: tf.NamedTensorMap }> {
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const parts: { ce?: tf.Scalar; lcam?: tf.Scalar } = {};
  const { value, grads } = tf.variableGrads(() => batchLoss(net, input, parts), vars);
  try {
    const [loss, ce, attention] = await readScalars(value, parts.ce, parts.lcam);
    return { loss: loss!, ce: ce ?? NaN, attention: attention ?? 0, grads };
  } finally {
    tf.dispose([value, parts.ce, parts.lcam].filter((t) => t !== undefined) as tf.Tensor[]);
  }
}

/** careGradients, applied with `optimizer` (tests and callers outside the trainer). */
export async function trainStep(net: ResNetClassifier, optimizer: tf.Optimizer, input: StepInput): Promise<StepResult> {
  const { grads, ...r } = await careGradients(net, input);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return r;
}
