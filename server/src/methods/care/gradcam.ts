/** Grad-CAM maps of a trained classifier (inference mode), for reports: the same map CARE trains on. */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import { camFromFeatures } from '../../losses';
import type { ResNetClassifier } from '../../networks/resnet';
import { camWeights } from './camWeights';

/** For images x [B, S, S, C] and target classes: cams [B][S*S] in [0, 1] and softmax probabilities [B][K]. */
export async function gradCamMaps(net: ResNetClassifier, x: tf.Tensor4D, classes: number[]): Promise<{ cams: Float32Array[]; probs: Float32Array[] }> {
  const [b, h, w] = x.shape;
  const k = net.options.numClasses;
  const [cam, prob] = tf.tidy(() => {
    const [A, logits] = net.model.apply(x, { training: false }) as [tf.Tensor4D, tf.Tensor2D];
    const y = tf.tensor1d(classes, 'int32');
    const wts = camWeights(net.head, A, y, k);
    return [camFromFeatures(A, wts, h, w), tf.softmax(logits)];
  });
  const [cd, pd] = await Promise.all([readFloats(cam), readFloats(prob)]).finally(() => tf.dispose([cam, prob]));
  return {
    cams: Array.from({ length: b }, (_, i) => cd.slice(i * h * w, (i + 1) * h * w)),
    probs: Array.from({ length: b }, (_, i) => pd.slice(i * k, (i + 1) * k)),
  };
}

/** The 'jet' colour map, t in [0, 1] -> [r, g, b] in 0..255. */
export function jet(t: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

/** Image [S*S*C] in [0, 1] blended with a cam [S*S] -> RGBA, upscaled by `zoom` (nearest). */
export function overlayRgba(image: Float32Array, channels: number, cam: Float32Array, size: number, zoom: number, alpha = 0.45): Uint8Array {
  const Z = size * zoom;
  const out = new Uint8Array(Z * Z * 4);
  for (let y = 0; y < Z; y++) {
    for (let x = 0; x < Z; x++) {
      const i = Math.floor(y / zoom) * size + Math.floor(x / zoom);
      const g = channels >= 3 ? [image[i * channels]!, image[i * channels + 1]!, image[i * channels + 2]!] : [image[i]!, image[i]!, image[i]!];
      const j = jet(cam[i]!);
      const o = (y * Z + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round((1 - alpha) * 255 * Math.min(1, Math.max(0, g[c]!)) + alpha * j[c]!);
      out[o + 3] = 255;
    }
  }
  return out;
}
