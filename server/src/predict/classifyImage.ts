/**
 * Class probabilities of one image from a classification run's LayersModel, preprocessed
 * exactly as training fed it (explain/preprocess.ts: the same path Grad-CAM takes).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MedImage } from '../data/readers';
import { runGraph } from '../explain/graph';
import { toModelInput } from '../explain/preprocess';
import type { RunModel } from '../explain/runModel';

export function classifyImage(m: RunModel, img: MedImage): number[] {
  const x = toModelInput(img, m);
  try {
    return tf.tidy(() => Array.from(tf.softmax(runGraph(m.model, x, { logitsLayer: m.logitsLayer }).logits).dataSync()));
  } finally {
    x.dispose();
  }
}
