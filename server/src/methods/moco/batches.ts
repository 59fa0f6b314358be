/** Image batches as tensors: two augmented views for training, plain resized images for probes. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../transforms/rng';
import { augmentView, resizeImage, type AugmentOptions, type ImageShape } from './augment';
import type { ImageSplit } from './data';

export function twoViews(split: ImageSplit, shape: ImageShape, indices: readonly number[], size: number, rng: Rng, o: AugmentOptions): { q: tf.Tensor4D; k: tf.Tensor4D } {
  const per = size * size * shape.channels;
  const q = new Float32Array(indices.length * per);
  const k = new Float32Array(indices.length * per);
  indices.forEach((idx, b) => {
    const img = split.images[idx]!;
    q.set(augmentView(img, shape, size, rng, o), b * per);
    k.set(augmentView(img, shape, size, rng, o), b * per);
  });
  const dims: [number, number, number, number] = [indices.length, size, size, shape.channels];
  return { q: tf.tensor4d(q, dims), k: tf.tensor4d(k, dims) };
}

/** The whole split, resized to size, in batches (each batch is disposed after the consumer's turn). */
export function* plainBatches(split: ImageSplit, shape: ImageShape, size: number, batchSize: number): Generator<tf.Tensor4D> {
  const per = size * size * shape.channels;
  const same = shape.height === size && shape.width === size;
  for (let s = 0; s < split.images.length; s += batchSize) {
    const imgs = split.images.slice(s, s + batchSize);
    const buf = new Float32Array(imgs.length * per);
    imgs.forEach((img, b) => buf.set(same ? img : resizeImage(img, shape, size), b * per));
    const t = tf.tensor4d(buf, [imgs.length, size, size, shape.channels]);
    try {
      yield t;
    } finally {
      t.dispose();
    }
  }
}
