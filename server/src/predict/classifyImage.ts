/**
 * Class probabilities of one image from a classification run's LayersModel, preprocessed
 * exactly as training fed it (explain/preprocess.ts: the same path Grad-CAM takes).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MedImage } from '../data/readers';
import { runGraph } from '../explain/graph';
import { toModelInput } from '../explain/preprocess';
import type { RunModel } from '../explain/runModel';

export async function classifyImage(m: RunModel, img: MedImage): Promise<number[]> {
  const x = toModelInput(img, m);
  const p = tf.tidy(() => tf.softmax(runGraph(m.model, x, { logitsLayer: m.logitsLayer }).logits));
  try {
    return Array.from(await p.data());
  } finally {
    tf.dispose([x, p]);
  }
}
