import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../../../server/src/engine/backend';
import { gradCam } from '../../../server/src/explain/gradcam';

before(async () => {
  await ensureBackend();
});

/**
 * conv 1x1 (2 filters, weights [1, -1], bias [0, 3], relu) -> flatten -> dense(2). On the image
 * [[1, 2], [3, 4]] the feature maps are A0 = [1, 2, 3, 4] and A1 = [2, 1, 0, 0] (row-major), and
 * d(y_c)/dA is the dense column of class c, laid out as the flattened (h, w, channel) order.
 */
function tinyNet(spatialDims: 2 | 3): tfl.LayersModel {
  const inputShape = spatialDims === 2 ? [2, 2, 1] : [1, 2, 2, 1];
  const conv =
    spatialDims === 2
      ? tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', inputShape, name: 'conv' })
      : tfl.layers.conv3d({ filters: 2, kernelSize: 1, activation: 'relu', inputShape, name: 'conv' });
  const model = tfl.sequential({ layers: [conv, tfl.layers.flatten(), tfl.layers.dense({ units: 2, name: 'head' })] });
  const kernelShape = spatialDims === 2 ? [1, 1, 1, 2] : [1, 1, 1, 1, 2];
  // Flattened order: A0(0,0) A1(0,0) A0(0,1) A1(0,1) A0(1,0) A1(1,0) A0(1,1) A1(1,1).
  const class0 = [1, 2, 1, 0, 0, 0, 2, 0];
  const class1 = [-1, 0, 0, 0, 0, 0, 0, 1];
  const dense = class0.flatMap((v, i) => [v, class1[i]!]);
  model.setWeights([tf.tensor(new Float32Array([1, -1]), kernelShape), tf.tensor1d([0, 3]), tf.tensor2d(dense, [8, 2]), tf.tensor1d([0, 0])]);
  return model;
}

function image(spatialDims: 2 | 3): tf.Tensor {
  return tf.tensor([1, 2, 3, 4], spatialDims === 2 ? [1, 2, 2, 1] : [1, 1, 2, 2, 1]);
}

function assertClose(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < tol, `at ${i}: ${actual[i]} vs ${expected[i]}`);
}

for (const dims of [2, 3] as const) {
  test(`Grad-CAM of the predicted class matches the hand-computed map (${dims}D)`, async () => {
    const model = tinyNet(dims);
    const x = image(dims);
    // Class 0 scores 1*1 + 2*2 + 1*2 + 2*4 = 15, class 1 scores -1 + 0 = -1: class 0 is predicted.
    // w0 = mean(1, 1, 0, 2) = 1, w1 = mean(2, 0, 0, 0) = 0.5; cam = A0 + 0.5 A1 = [2, 2.5, 3, 4];
    // min-max: [0, 0.25, 0.5, 1].
    const r = await gradCam(model, x, 'conv', 'gradcam');
    assert.equal(r.classIndex, 0);
    assertClose(r.cam.dataSync(), [0, 0.25, 0.5, 1]);
    assert.ok(r.probabilities[0]! > 0.99);
    r.cam.dispose();
    x.dispose();
    model.dispose();
  });
}

test('Grad-CAM of a chosen class uses that class gradient, by hand', async () => {
  const model = tinyNet(2);
  const x = image(2);
  // Class 1: w0 = mean(-1, 0, 0, 0) = -0.25, w1 = mean(0, 0, 0, 1) = 0.25;
  // cam = [0.25, -0.25, -0.75, -1]; min-max: [1, 0.6, 0.2, 0].
  const r = await gradCam(model, x, 'conv', 'gradcam', 1);
  assert.equal(r.classIndex, 1);
  assertClose(r.cam.dataSync(), [1, 0.6, 0.2, 0]);
  r.cam.dispose();
  x.dispose();
  model.dispose();
});

test('Grad-CAM++ matches the hand-computed map', async () => {
  const model = tinyNet(2);
  const x = image(2);
  // alpha = g^2 / (2 g^2 + sum(A) g^3), sum(A0) = 10, sum(A1) = 3.
  // A0: g = [1, 1, 0, 2] -> alpha = [1/12, 1/12, 0, 1/22]; w0 = 1/12 + 1/12 + 2/22 = 17/66.
  // A1: g = [2, 0, 0, 0] -> alpha = [1/8, 0, 0, 0]; w1 = 2/8 = 1/4.
  // cam = (17 A0 + 16.5 A1) / 66 = [50, 50.5, 51, 68] / 66; min-max: [0, 1/36, 1/18, 1].
  const n = tf.memory().numTensors;
  const r = await gradCam(model, x, 'conv', 'gradcam++');
  assertClose(r.cam.dataSync(), [0, 1 / 36, 1 / 18, 1]);
  r.cam.dispose();
  assert.equal(tf.memory().numTensors, n, 'nothing but the returned map outlives the call');
  x.dispose();
  model.dispose();
});

test('a class index outside the model is refused with the number of classes', async () => {
  const model = tinyNet(2);
  const x = image(2);
  const n = tf.memory().numTensors;
  await assert.rejects(gradCam(model, x, 'conv', 'gradcam', 5), /class index 5 is out of range: the model has 2 classes/);
  assert.equal(tf.memory().numTensors, n);
  x.dispose();
  model.dispose();
});
