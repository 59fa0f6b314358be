/**
 * The 2D U-Net is the 3D U-Net on one-slice inputs: its depth-1 convolutions (run as conv2d)
 * compute what conv3d computes, values and gradients; it gives logits at every decoder level for
 * deep supervision; a training step leaks no tensors; and HD95 on a one-slice grid measures the
 * in-plane boundary, as a 2D metric should.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { hd95 } from '../../../server/src/metrics/surfaceDistance';
import { deepSupervisionLoss } from '../../../server/src/methods/segment/unetLoss';
import { labelsAtSize } from '../../../server/src/methods/segment2d/model';
import { autoStages, Unet2d } from '../../../server/src/networks/unet2d';
import { conv2dOfDepth1 } from '../../../server/src/networks/unet3dOps';
import { ParamStore } from '../../../server/src/networks/vit3dParams';

before(async () => {
  await ensureBackend({ threads: 1 });
});

test('a depth-1 convolution as conv2d equals conv3d, strided or not, in value and in both gradients', () => {
  for (const stride of [[1, 1, 1], [1, 2, 2]] as [number, number, number][]) {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 1, 8, 6, 3], 0, 1, 'float32', 1) as tf.Tensor5D;
      const w = tf.randomNormal([1, 3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor5D;
      const f3 = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, stride, 'same')));
      const f2 = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv2dOfDepth1(a as tf.Tensor5D, b as tf.Tensor5D, stride)));
      const y3 = tf.conv3d(x, w, stride, 'same');
      const y2 = conv2dOfDepth1(x, w, stride);
      assert.deepEqual(y2.shape, y3.shape);
      assert.ok(tf.max(tf.abs(tf.sub(y2, y3))).dataSync()[0]! < 1e-4);
      const [g3x, g3w] = tf.grads(f3)([x, w]);
      const [g2x, g2w] = tf.grads(f2)([x, w]);
      assert.ok(tf.max(tf.abs(tf.sub(g2x!, g3x!))).dataSync()[0]! < 1e-3 * Math.max(1, tf.max(tf.abs(g3x!)).dataSync()[0]!));
      assert.ok(tf.max(tf.abs(tf.sub(g2w!, g3w!))).dataSync()[0]! < 1e-3 * Math.max(1, tf.max(tf.abs(g3w!)).dataSync()[0]!));
    });
  }
});

test('the 2D U-Net gives full-resolution logits and one per lower decoder level, and a training step leaks no tensors', () => {
  assert.equal(autoStages(64), 5);
  assert.equal(autoStages(32), 4);
  assert.equal(autoStages(48), 4);
  const ps = new ParamStore(1);
  const net = new Unet2d({ channels: 3, classes: 2, features: 4, maxFeatures: 16, stages: 3, block: 'plain', deepSupervision: true }, ps);
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.cast(tf.greater(tf.randomUniform([2, 1, 16, 16], 0, 1, 'float32', 4), 0.7), 'int32') as tf.Tensor4D;
  const outs = net.forward(x, true);
  assert.deepEqual(outs.map((o) => o.shape), [[2, 1, 16, 16, 2], [2, 1, 8, 8, 2]]);
  tf.dispose(outs);
  const p = net.probabilities(x);
  assert.deepEqual(p.shape, [2, 16, 16, 2]);
  p.dispose();
  const opt: tf.Optimizer = tf.train.adam(0.01);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => deepSupervisionLoss(net.forward(x, true), y, net.strides).loss, ps.variables());
    opt.applyGradients(grads);
    const v = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  const first = step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by a training step');
  assert.ok(step() < first, 'the loss falls on a fixed batch');
  tf.dispose([x, y]);
  opt.dispose();
  ps.dispose();
});

test('HD95 on a one-slice grid measures the in-plane boundary (a 2D metric), and 3D keeps its slab faces', () => {
  const W = 12;
  const square = (x0: number, y0: number, n: number) => {
    const m = new Uint8Array(W * W);
    for (let y = y0; y < y0 + n; y++) for (let x = x0; x < x0 + n; x++) m[y * W + x] = 1;
    return m;
  };
  // The same 5x5 square moved 2 px along x: every boundary pixel is at most 2 px from the other's.
  assert.equal(hd95(square(2, 2, 5), square(4, 2, 5), [1, W, W]), 2);
  assert.equal(hd95(square(2, 2, 5), square(2, 2, 5), [1, W, W]), 0);
  // A filled 7x7 square against its 1 px outline: in 2D both surfaces are that outline, so the
  // distance is 0; counting every pixel of a one-slice mask as surface (the 3D rule) gave 2.
  const outline = square(2, 2, 7);
  for (let y = 3; y < 8; y++) for (let x = 3; x < 8; x++) outline[y * W + x] = 0;
  assert.equal(hd95(square(2, 2, 7), outline, [1, W, W]), 0);
  // Two slices: the top and bottom faces are surface, as before.
  const slab = new Uint8Array(2 * W * W);
  slab.set(square(2, 2, 6), 0);
  slab.set(square(2, 2, 6), W * W);
  assert.equal(hd95(slab, slab, [2, W, W]), 0);
});

test('predicted labels are resized to the mask\'s grid, and largestComponent keeps only the biggest lesion island', () => {
  // 4x4 two-class probabilities: a 2x2 lesion top-left, a 1-pixel island bottom-right.
  const probs = new Float32Array(16 * 2);
  for (let p = 0; p < 16; p++) probs[p * 2] = 1;
  for (const p of [0, 1, 4, 5, 15]) [probs[p * 2], probs[p * 2 + 1]] = [0, 1];
  const all = labelsAtSize(probs, 4, 2, 4, 4);
  assert.deepEqual(Array.from(all), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(labelsAtSize(probs, 4, 2, 4, 4, true)), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const big = labelsAtSize(probs, 4, 2, 8, 6);
  assert.equal(big.length, 48);
  assert.equal(big[0], 1);
  assert.equal(big[47], 1);
});
