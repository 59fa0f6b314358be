/** The most active kernels (channels) of a layer for one image: what is worth interpreting. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runGraph } from './graph';

export interface KernelActivity {
  index: number;
  meanActivation: number;
}

/** Channels of `layer` ranked by their mean activation over the image, highest first. */
export async function topKernels(model: LayersModel, x: tf.Tensor, layer: string, count = 8): Promise<KernelActivity[]> {
  const meansT = tf.tidy(() => {
    const a = runGraph(model, x, { fetch: [layer], featuresOnly: true }).layers.get(layer)!;
    const axes = a.shape.slice(0, -1).map((_, i) => i);
    return tf.mean(a, axes);
  });
  const means = Array.from(await meansT.data());
  meansT.dispose();
  return means
    .map((meanActivation, index) => ({ index, meanActivation }))
    .sort((p, q) => q.meanActivation - p.meanActivation || p.index - q.index)
    .slice(0, Math.max(1, Math.floor(count)));
}
