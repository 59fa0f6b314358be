/** CARE's stage-2 step: the attention term alone trains the trunk, and every stage-2 batch weighs CE by 1 - alpha. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { boxMasks, crossEntropy } from '../../../server/src/losses';
import { buildResNetClassifier } from '../../../server/src/networks/resnet';
import { batchLoss, trainStep, type AttentionBatch } from '../../../server/src/methods/care/step';

function tinyBatch() {
  const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const y = tf.tensor1d([1, 0], 'int32');
  const { inner, outer } = boxMasks([4, 4, 6, 6], 16);
  const attention: AttentionBatch = { inner: tf.tensor3d([...inner, ...inner], [2, 16, 16]), outer: tf.tensor3d([...outer, ...outer], [2, 16, 16]), take: tf.tensor1d([1, 0]), threshold: 0.5 };
  return { x, y, attention };
}

test('the attention term alone (alpha 1, no cross-entropy) moves the trunk weights and leaves the classifier alone', async () => {
  await ensureBackend({ backend: 'cpu' });
  const net = buildResNetClassifier({ inputSize: 16, channels: 1, width: 4, depth: 1, stages: 2, numClasses: 2, seed: 3 });
  const { x, y, attention } = tinyBatch();
  const before = net.model.trainableWeights.map((w) => ({ name: w.originalName, values: Array.from(w.read().dataSync()) }));
  const opt = tf.train.sgd(0.5);
  const r = await trainStep(net, opt, { x, y, alpha: 1, attention });
  assert.ok(r.attention !== 0, 'the attention loss is not zero');
  const after = new Map(net.model.trainableWeights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
  const moved = before.filter((b) => b.values.some((v, i) => v !== after.get(b.name)![i]));
  const trunkKernels = before.filter((b) => b.name.endsWith('/kernel') && !b.name.startsWith(net.logitsLayer));
  assert.ok(trunkKernels.length >= 2);
  for (const k of trunkKernels) assert.ok(moved.some((m) => m.name === k.name), `trunk kernel ${k.name} did not move`);
  assert.ok(!moved.some((m) => m.name.startsWith(net.logitsLayer)), 'the Grad-CAM weights are constants: no gradient reaches the classifier');
  tf.dispose([x, y, attention.inner, attention.outer, attention.take]);
  opt.dispose();
  net.dispose();
});

test('a stage-2 batch without a boxed rare image is (1 - alpha) * CE, one with boxes adds alpha * L_cam', async () => {
  await ensureBackend({ backend: 'cpu' });
  const net = buildResNetClassifier({ inputSize: 16, channels: 1, width: 4, depth: 1, stages: 2, numClasses: 2, seed: 3 });
  const { x, y, attention } = tinyBatch();
  const ce = tf.tidy(() => crossEntropy((net.model.apply(x, { training: true }) as tf.Tensor[])[1] as tf.Tensor2D, y).dataSync()[0]!);
  const stage1 = tf.tidy(() => batchLoss(net, { x, y }).dataSync()[0]!);
  const plain = tf.tidy(() => batchLoss(net, { x, y, alpha: 0.25 }).dataSync()[0]!);
  const parts: { lcam?: tf.Scalar } = {};
  const boxed = tf.tidy(() => batchLoss(net, { x, y, alpha: 0.25, attention }, parts).dataSync()[0]!);
  const lcam = parts.lcam!.dataSync()[0]!;
  assert.ok(Math.abs(stage1 - ce) < 1e-6);
  assert.ok(Math.abs(plain - 0.75 * ce) < 1e-6, `${plain} != 0.75 * ${ce}`);
  assert.ok(Math.abs(boxed - (0.75 * ce + 0.25 * lcam)) < 1e-5, `${boxed} != 0.75 * ${ce} + 0.25 * ${lcam}`);
  tf.dispose([x, y, attention.inner, attention.outer, attention.take, parts.lcam!]);
  net.dispose();
});
