/**
 * Grad-CAM and Grad-CAM++ on a feature-map layer, for 2D and 3D models alike.
 *
 * Grad-CAM follows CARE's definition (ALGORITHMS.md), so the map a user sees is the map CARE's
 * attention loss shapes: w_c = spatial mean of d(y^c)/dA_c, cam = sum_c w_c A_c, min-max
 * normalised to [0, 1]. Grad-CAM++ (Chattopadhay et al. 2018, closed form with the exponential
 * score): alpha = g^2 / (2 g^2 + sum(A) g^3), w_c = sum(alpha * relu(g)), cam = sum_c w_c A_c,
 * min-max normalised. y^c is the class score before softmax.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runGraph } from './graph';

export type CamMethod = 'gradcam' | 'gradcam++';

export interface CamResult {
  /** [1, ...featureSpatial, 1], in [0, 1]. The caller disposes it. */
  cam: tf.Tensor;
  classIndex: number;
  probabilities: number[];
}

/** Channel weights from activations A and gradients g, both [1, ...spatial, C]; gives [C]. */
export function camWeights(a: tf.Tensor, g: tf.Tensor, method: CamMethod): tf.Tensor1D {
  return tf.tidy(() => {
    const spatialAxes = a.shape.slice(1, -1).map((_, i) => i + 1);
    if (method === 'gradcam') return tf.reshape(tf.mean(g, spatialAxes), [-1]) as tf.Tensor1D;
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(a, spatialAxes, true);
    const denom = tf.add(tf.mul(g2, 2), tf.mul(sumA, g3));
    // Where the denominator vanishes (g = 0) alpha is 0, as in the reference implementations.
    const safe = tf.where(tf.equal(denom, 0), tf.onesLike(denom), denom);
    const alpha = tf.where(tf.equal(denom, 0), tf.zerosLike(denom), tf.div(g2, safe));
    return tf.reshape(tf.sum(tf.mul(alpha, tf.relu(g)), spatialAxes), [-1]) as tf.Tensor1D;
  });
}

/** sum_c w_c A_c, min-max normalised to [0, 1] (all zeros when the map is flat). Gives [1, ...spatial, 1]. */
export function weightedMap(a: tf.Tensor, w: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const cam = tf.sum(tf.mul(a, w), -1, true);
    const lo = tf.min(cam);
    const range = tf.sub(tf.max(cam), lo);
    // Decided on the device (no read back): every backend allows it, GPU ones in Node included.
    return tf.where(tf.greater(range, 1e-12), tf.div(tf.sub(cam, lo), tf.maximum(range, 1e-12)), tf.zerosLike(cam));
  });
}

/**
 * Grad-CAM of `layer` for class `classIndex` (default: the predicted class) on input x
 * [1, ...spatial, C]. The gradient is taken with respect to the layer's output only; no model
 * variable is touched.
 */
export async function gradCam(model: LayersModel, x: tf.Tensor, layer: string, method: CamMethod, classIndex?: number, logitsLayer?: string): Promise<CamResult> {
  // One forward pass gives the layer's activations and the probabilities; the class is chosen
  // from the probabilities, read asynchronously (a GPU backend in Node cannot read synchronously).
  const { a, probs } = tf.tidy(() => {
    const first = runGraph(model, x, { fetch: [layer], logitsLayer });
    return { a: first.layers.get(layer)!, probs: tf.softmax(first.logits) };
  });
  try {
    const probabilities = Array.from(await probs.data());
    const classes = probs.shape[1]!;
    const chosen = classIndex ?? probabilities.indexOf(Math.max(...probabilities));
    if (!Number.isInteger(chosen) || chosen < 0 || chosen >= classes) throw new Error(`class index ${chosen} is out of range: the model has ${classes} classes`);
    const cam = tf.tidy(() => {
      const score = (act: tf.Tensor): tf.Scalar => {
        const logits = runGraph(model, x, { substitute: { layer, value: act }, logitsLayer }).logits;
        return tf.sum(tf.slice(logits, [0, chosen], [1, 1]));
      };
      const g = tf.grad(score)(a);
      return weightedMap(a, camWeights(a, g, method));
    });
    return { cam, classIndex: chosen, probabilities };
  } finally {
    probs.dispose();
    // The fetched layer could be the input itself, which belongs to the caller.
    if (a !== x) a.dispose();
  }
}
