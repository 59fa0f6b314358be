import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { attentionLoss, boxMasks, camFromFeatures, careTotal, crossEntropy, distanceToRegion, linearResizeMatrix, resizeMaps } from '../../../server/src/losses';
import { buildResNetClassifier } from '../../../server/src/networks/resnet';
import { camWeights } from '../../../server/src/methods/care/camWeights';

const close = (a: number, b: number, tol = 1e-6, msg = '') => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} != ${b}`);

test('inner mask is 1/N on the N pixels inside the box, outer is uniform and sums to 1 (reference setting)', () => {
  // 4x4 grid, box covering pixels x 1..2, y 1..2 (centres 1.5, 2.5 inside [1, 3))
  const { inner, outer } = boxMasks([1, 1, 2, 2], 4);
  const want = new Array(16).fill(0);
  for (const i of [5, 6, 9, 10]) want[i] = 0.25;
  assert.deepEqual(Array.from(inner), want);
  for (let i = 0; i < 16; i++) close(outer[i]!, want[i] ? 0 : 1 / 12, 1e-7, `outer[${i}]`);
});

test('outer mask grows with distance to the box when delta > 0, hand-computed on a 3x3 grid', () => {
  // box = centre pixel. Outside: 4 edge neighbours at distance 1, 4 corners at sqrt(2); value 1 + 2 * d
  const { outer } = boxMasks([1, 1, 1, 1], 3, 1, 2);
  const edge = 1 + 2 * 1;
  const corner = 1 + 2 * Math.SQRT2;
  const sum = 4 * edge + 4 * corner;
  close(outer[1]!, edge / sum, 1e-7);
  close(outer[0]!, corner / sum, 1e-7);
  assert.equal(outer[4], 0);
});

test('distance to a region is exact Euclidean distance between pixel centres', () => {
  const region = new Float32Array(25);
  region[0] = 1; // top-left corner of a 5x5 grid
  const d = distanceToRegion(region, 5);
  close(d[4 * 5 + 3]!, Math.hypot(3, 4));
  close(d[2]!, 2);
  assert.equal(d[0], 0);
});

test('a box smaller than a pixel still has an inner region', () => {
  const { inner } = boxMasks([2.2, 1.1, 0.2, 0.2], 4);
  assert.equal(inner[1 * 4 + 2], 1);
});

test('bilinear resize matrices match tf.image.resizeBilinear (half-pixel centres)', async () => {
  await ensureBackend({ backend: 'cpu' });
  const m = tf.tensor3d([[[0, 1, 2], [3, 4, 5], [6, 7, 9]]]);
  const ours = resizeMaps(m, 7, 5);
  const theirs = tf.image.resizeBilinear(m.expandDims(3) as tf.Tensor4D, [7, 5], false, true).squeeze([3]);
  const a = await ours.data();
  const b = await theirs.data();
  for (let i = 0; i < a.length; i++) close(a[i]!, b[i]!, 1e-5, `pixel ${i}`);
  // rows of an interpolation matrix sum to 1
  const r = linearResizeMatrix(3, 8);
  for (let i = 0; i < 8; i++) close(r[i * 3]! + r[i * 3 + 1]! + r[i * 3 + 2]!, 1);
  tf.dispose([m, ours, theirs]);
});

test('cam is the weighted channel sum, min-max normalised per image', async () => {
  await ensureBackend({ backend: 'cpu' });
  // A: 1 image, 2x2 map, 2 channels; w = [1, -1] -> raw = A0 - A1
  const A = tf.tensor4d([[[[1, 0], [2, 1]], [[0, 0], [4, 1]]]]);
  const w = tf.tensor2d([[1, -1]]);
  const cam = camFromFeatures(A, w, 2, 2);
  // raw = [[1, 1], [0, 3]] -> (raw - 0) / 3
  const got = Array.from(await cam.data());
  [1 / 3, 1 / 3, 0, 1].forEach((v, i) => close(got[i]!, v, 1e-6));
  tf.dispose([A, w, cam]);
});

test('attention loss equals -min(sum(cam*inner), T) + sum(cam*outer), summed over images that take part', async () => {
  await ensureBackend({ backend: 'cpu' });
  // 2x2 maps. Image 0: cam [1, 0, 0, 0.5], box = pixel 0 -> inner [1,0,0,0], outer uniform 1/3 elsewhere.
  // L0 = -min(1, 0.5) + (0 + 0 + 0.5)/3 = -0.5 + 0.1666...
  // Image 1: cam [0.2, 0.2, 0.2, 0.2], same masks -> L1 = -0.2 + 0.2 = 0. Image 2: excluded (take 0).
  const { inner, outer } = boxMasks([0, 0, 1, 1], 2);
  const cam = tf.tensor3d([1, 0, 0, 0.5, 0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1], [3, 2, 2]);
  const rep = (m: Float32Array) => tf.tensor3d([...m, ...m, ...m], [3, 2, 2]);
  const L = attentionLoss(cam, rep(inner), rep(outer), tf.tensor1d([1, 1, 0]), 0.5);
  close(L.dataSync()[0]!, -0.5 + 0.5 / 3 + 0);
  const ce = tf.scalar(2);
  close(careTotal(ce, L, 0.01).dataSync()[0]!, 0.01 * (-0.5 + 0.5 / 3) + 0.99 * 2);
  tf.dispose([cam, L, ce]);
});

test('cross-entropy: mean NLL, and class weights re-weight the items', async () => {
  await ensureBackend({ backend: 'cpu' });
  const logits = tf.tensor2d([[0, 0], [Math.log(3), 0]]);
  const labels = tf.tensor1d([0, 1], 'int32');
  // item 0: -log(1/2); item 1: -log(1/4)
  close(crossEntropy(logits, labels).dataSync()[0]!, (Math.log(2) + Math.log(4)) / 2, 1e-6);
  close(crossEntropy(logits, labels, tf.tensor1d([1, 3])).dataSync()[0]!, (Math.log(2) + 3 * Math.log(4)) / 4, 1e-6);
});

test('Grad-CAM weights are constants: the parameter update equals one computed with precomputed weights, and differs from a leaky one', async () => {
  await ensureBackend({ backend: 'cpu' });
  const net = buildResNetClassifier({ inputSize: 16, channels: 1, width: 4, depth: 1, stages: 2, numClasses: 2, seed: 3 });
  const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 5);
  const y = tf.tensor1d([1, 0], 'int32');
  const { inner, outer } = boxMasks([4, 4, 6, 6], 16);
  const inn = tf.tensor3d([...inner, ...inner], [2, 16, 16]);
  const out = tf.tensor3d([...outer, ...outer], [2, 16, 16]);
  const take = tf.tensor1d([1, 1]);
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = tf.memory().numTensors;

  const lossWith = (mode: 'ours' | 'given' | 'leaky', given?: tf.Tensor2D) => () => {
    const [A, logits] = net.model.apply(x, { training: false }) as [tf.Tensor4D, tf.Tensor2D];
    let w: tf.Tensor2D;
    if (mode === 'ours') w = camWeights(net.head, A, y, 2);
    else if (mode === 'given') w = given!;
    else {
      const onehot = tf.oneHot(y, 2).toFloat();
      w = tf.mean(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(net.head(a as tf.Tensor4D), onehot)))(A), [1, 2]) as tf.Tensor2D;
    }
    const cam = camFromFeatures(A, w, 16, 16);
    return careTotal(crossEntropy(logits, y), attentionLoss(cam, inn, out, take, 0.5), 0.5);
  };
  const given = tf.tidy(() => {
    const [A] = net.model.apply(x, { training: false }) as [tf.Tensor4D];
    return camWeights(net.head, A, y, 2);
  });
  const gOurs = tf.variableGrads(lossWith('ours'), vars);
  const gGiven = tf.variableGrads(lossWith('given', given), vars);
  const gLeaky = tf.variableGrads(lossWith('leaky'), vars);
  close(gOurs.value.dataSync()[0]!, gGiven.value.dataSync()[0]!, 1e-6, 'loss');
  let maxDiffGiven = 0;
  let maxDiffLeaky = 0;
  for (const name of Object.keys(gOurs.grads)) {
    const a = gOurs.grads[name]!.dataSync();
    const b = gGiven.grads[name]!.dataSync();
    const c = gLeaky.grads[name]!.dataSync();
    for (let i = 0; i < a.length; i++) {
      maxDiffGiven = Math.max(maxDiffGiven, Math.abs(a[i]! - b[i]!));
      maxDiffLeaky = Math.max(maxDiffLeaky, Math.abs(a[i]! - c[i]!));
    }
  }
  assert.ok(maxDiffGiven < 1e-6, `update differs from the constant-weights update by ${maxDiffGiven}`);
  assert.ok(maxDiffLeaky > 1e-4, `the leaky path should change the update (diff ${maxDiffLeaky}); the test would not catch a leak`);
  for (const g of [gOurs, gGiven, gLeaky]) tf.dispose([g.value, ...Object.values(g.grads)]);
  given.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  tf.dispose([x, y, inn, out, take]);
  net.dispose();
});
