import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { trainingBackend } from './backend';
import { NegativeQueue } from '../../../server/src/methods/moco/queue';
import { infoNCE } from '../../../server/src/methods/moco/infoNCE';
import { momentumUpdate } from '../../../server/src/methods/moco/momentum';
import { distillationError, REFERENCE_IMAGES_PER_GPU } from '../../../server/src/methods/disco/distill';
import { createRng } from '../../../server/src/transforms/rng';
import { augmentView, defaultAugmentOptions } from '../../../server/src/methods/moco/augment';

const rows = (t: tf.Tensor2D): number[][] => t.arraySync();
const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('the queue replaces its oldest keys first and wraps around its end', async () => {
  await trainingBackend();
  const q = new NegativeQueue(5, 2, createRng(1));
  const initial = rows(q.keys);
  for (const r of initial) close(Math.hypot(r[0]!, r[1]!), 1);
  q.enqueue(tf.tensor2d([[1, 1], [2, 2], [3, 3]]));
  assert.equal(q.ptr, 3);
  assert.deepEqual(rows(q.keys).slice(0, 3), [[1, 1], [2, 2], [3, 3]]);
  assert.deepEqual(rows(q.keys).slice(3), initial.slice(3));
  // 3 more keys: two fill rows 3-4, the third wraps to row 0 (the oldest), rows 1-2 stay.
  q.enqueue(tf.tensor2d([[4, 4], [5, 5], [6, 6]]));
  assert.equal(q.ptr, 1);
  assert.deepEqual(rows(q.keys), [[6, 6], [2, 2], [3, 3], [4, 4], [5, 5]]);
  const snap = await q.snapshot();
  const r = new NegativeQueue(5, 2, createRng(9));
  r.restore(snap);
  assert.deepEqual(rows(r.keys), rows(q.keys));
  assert.equal(r.ptr, 1);
  assert.throws(() => r.enqueue(tf.tensor2d([[1, 2, 3]])), /2-d keys, got 3-d/);
  q.dispose();
  r.dispose();
});

test('the key encoder moves a (1 - m) step towards the query encoder', async () => {
  await trainingBackend();
  const k = [tf.variable(tf.tensor1d([1, 2])), tf.variable(tf.tensor2d([[0]]))];
  const q = [tf.variable(tf.tensor1d([3, 4])), tf.variable(tf.tensor2d([[10]]))];
  momentumUpdate(k, q, 0.9);
  const k0 = k[0]!.dataSync();
  close(k0[0]!, 0.9 * 1 + 0.1 * 3);
  close(k0[1]!, 0.9 * 2 + 0.1 * 4);
  close(k[1]!.dataSync()[0]!, 1);
  assert.deepEqual(Array.from(q[0]!.dataSync()), [3, 4], 'the query encoder is untouched');
  tf.dispose([...k, ...q]);
});

test('InfoNCE matches the hand-computed cross-entropy with the positive first', async () => {
  await trainingBackend();
  const q = tf.tensor2d([[1, 0], [0, 1]]);
  const k = tf.tensor2d([[0.6, 0.8], [0, 1]]);
  const queue = tf.tensor2d([[0, 1], [-1, 0]]);
  const T = 0.5;
  // Row 1: logits [0.6, 0, -1] / T; row 2: [1, 1, 0] / T.
  const l1 = Math.log(Math.exp(1.2) + Math.exp(0) + Math.exp(-2)) - 1.2;
  const l2 = Math.log(Math.exp(2) + Math.exp(2) + Math.exp(0)) - 2;
  const loss = infoNCE(q, k, queue, T);
  close(loss.dataSync()[0]!, (l1 + l2) / 2);
  tf.dispose([q, k, queue, loss]);
});

test('the distillation term has the reference weight whatever the batch size (32 x the per-image squared error)', async () => {
  await trainingBackend();
  const teacher = tf.tensor2d([[1, 0], [0, 1]]);
  const student = tf.tensor2d([[0.6, 0.8], [1, 0]]);
  const perImage = (0.4 ** 2 + 0.8 ** 2 + 1 + 1) / 2;
  const m = distillationError(teacher, student);
  close(m.dataSync()[0]!, REFERENCE_IMAGES_PER_GPU * perImage);
  // The same images four times over: a batch of 8 weighs the same as a batch of 2.
  const t8 = tf.tile(teacher, [4, 1]) as tf.Tensor2D;
  const s8 = tf.tile(student, [4, 1]) as tf.Tensor2D;
  const m8 = distillationError(t8, s8);
  close(m8.dataSync()[0]!, m.dataSync()[0]!);
  // At the reference's 32 images per GPU it is exactly its MSELoss(reduction='sum').
  const t32 = tf.tile(teacher, [16, 1]) as tf.Tensor2D;
  const s32 = tf.tile(student, [16, 1]) as tf.Tensor2D;
  const m32 = distillationError(t32, s32);
  close(m32.dataSync()[0]!, tf.sum(tf.squaredDifference(s32, t32)).dataSync()[0]!);
  assert.equal(REFERENCE_IMAGES_PER_GPU, 32);
  tf.dispose([teacher, student, m, t8, s8, m8, t32, s32, m32]);
});

test('augmented views are reproducible from the seed, differ between seeds, and stay in [0, 1]', () => {
  const size = 12;
  const src = new Float32Array(size * size * 3).map((_, i) => (i % 7) / 7);
  const shape = { height: size, width: size, channels: 3 };
  const o = defaultAugmentOptions(8);
  const a = augmentView(src, shape, 8, createRng(5), o);
  const b = augmentView(src, shape, 8, createRng(5), o);
  const c = augmentView(src, shape, 8, createRng(6), o);
  assert.equal(a.length, 8 * 8 * 3);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const v of a) assert.ok(v >= 0 && v <= 1);
});

test('k-NN votes by cosine similarity and the linear probe separates separable features', async () => {
  await trainingBackend();
  const { knnProbe } = await import('../../../server/src/eval/probeKnn');
  const { linearProbe } = await import('../../../server/src/eval/probe');
  const train = { features: new Float32Array([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]), dim: 2, labels: [0, 0, 1, 1] };
  const test = { features: new Float32Array([5, 1, 1, 4]), dim: 2, labels: [0, 1] };
  const k1 = knnProbe(train, test, 2, { k: 1, tau: 0.07 });
  assert.deepEqual(k1.predictions, [0, 1]);
  assert.deepEqual(Array.from(k1.probabilities), [1, 0, 0, 1]);
  // k = 4 with a huge tau: every neighbour weighs about the same, so the vote is about even.
  const all = knnProbe(train, test, 2, { k: 4, tau: 1e6 });
  close(all.probabilities[0]!, 0.5, 1e-4);
  const before = tf.memory().numTensors;
  const lin = await linearProbe(train, test, 2, { iterations: 100, lr: 0.1, weightDecay: 0, seed: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(lin.accuracy, 1);
  await assert.rejects(linearProbe(train, { ...test, dim: 3 }, 2), /2-d, test features 3-d/);
});
