/**
 * The detector network on both trunks: the heatmap grid and stride at common input sizes, the
 * heads' shapes, the lesion score explanations use (the heatmap logits' maximum), and CenterNet's
 * prior (every cell starts near p = 0.1).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { buildDetector, DETECTOR_OUTPUTS } from '../../../server/src/methods/detect/network';

before(async () => {
  await ensureBackend({ backend: 'cpu' });
});

for (const [backbone, inputSize, grid] of [
  ['resnet', 32, 8],
  ['resnet', 64, 8],
  ['resnet', 128, 8],
  ['mobilenet', 64, 8],
] as const) {
  test(`${backbone} at ${inputSize} px: a ${grid}x${grid} heatmap (stride ${inputSize / grid}), size and offset heads, and the lesion score`, () => {
    const det = buildDetector({ backbone, inputSize, channels: 3, width: 4, depth: 1, seed: 1 });
    try {
      assert.equal(det.featureSize, grid);
      assert.equal(det.stride, inputSize / grid);
      assert.deepEqual(det.model.outputs.map((o) => o.sourceLayer.name), [...DETECTOR_OUTPUTS]);
      const x = tf.randomUniform([2, inputSize, inputSize, 3], 0, 1, 'float32', 3);
      const [features, heat, size, offset, score] = det.model.predict(x) as tf.Tensor[];
      assert.deepEqual(heat!.shape, [2, grid, grid, 1]);
      assert.deepEqual(size!.shape, [2, grid, grid, 2]);
      assert.deepEqual(offset!.shape, [2, grid, grid, 2]);
      assert.deepEqual(score!.shape, [2, 1]);
      assert.deepEqual(Array.from(score!.dataSync()), Array.from(tf.max(heat!, [1, 2, 3]).dataSync()));
      const p = tf.mean(tf.sigmoid(heat!)).dataSync()[0]!;
      assert.ok(p > 0.03 && p < 0.3, `mean initial heatmap probability ${p} near CenterNet's 0.1 prior`);
      tf.dispose([x, features!, heat!, size!, offset!, score!]);
    } finally {
      det.model.dispose();
    }
  });
}
