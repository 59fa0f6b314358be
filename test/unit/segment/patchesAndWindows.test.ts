/**
 * The shared real-size volume tools: the patch sampler (foreground-forced patches hold
 * foreground, volumes smaller than the patch are padded, the same seed gives the same patches,
 * memory is the patch's whatever the volume), the sliding window (an identity network gives the
 * volume back exactly, whatever the overlap and size; windows cover every voxel; Gaussian
 * weights peak in the middle; mirroring TTA of a mirror-symmetric network changes nothing),
 * largest-component post-processing and HD95.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { PatchSampler, type PatchSource } from '../../../server/src/data/volumes/patchSampler';
import { createRng } from '../../../server/src/transforms/rng';
import { gaussianWeights, mirroredPredict, slidingWindow, slidingWindowLabels, slidingWindowRows, windowStarts } from '../../../server/src/eval/slidingWindow';
import { keepLargestComponent } from '../../../server/src/transforms/largestComponent';
import { hd95 } from '../../../server/src/metrics/surfaceDistance';

before(async () => {
  await ensureBackend({ threads: 1 });
});

function volume(shape: [number, number, number], fgAt?: number): PatchSource {
  const n = shape[0] * shape[1] * shape[2];
  const image = Float32Array.from({ length: n }, (_, i) => i);
  const label = new Int32Array(n);
  if (fgAt !== undefined) label[fgAt] = 2;
  return { id: `v${shape.join('x')}-${fgAt}`, shape, image, label };
}

test('foreground-forced patches contain the only foreground voxel of a large volume', () => {
  const s = new PatchSampler({ patch: [8, 8, 8], foreground: 1 });
  const src = volume([40, 50, 60], 40 * 50 * 10 + 50 * 33 + 47);
  const rng = createRng(4);
  for (let k = 0; k < 20; k++) {
    const [p] = s.batch([src], rng);
    assert.equal(p!.label!.filter((v) => v === 2).length, 1, `patch ${k} at ${p!.origin.join(',')}`);
    assert.equal(p!.image.length, 512);
  }
});

test('the last third of a batch is forced to foreground, at least one patch', () => {
  const s = new PatchSampler({ patch: [4, 4, 4], foreground: 0.33 });
  const src = volume([30, 30, 30], 15 * 900 + 15 * 30 + 15);
  const rng = createRng(1);
  for (let k = 0; k < 10; k++) {
    const ps = s.batch([src, src], rng);
    assert.equal(ps[1]!.label!.includes(2), true);
  }
});

test('a volume smaller than the patch is zero-padded around it, labels 0 in the padding', () => {
  const s = new PatchSampler({ patch: [4, 6, 6], foreground: 0 });
  const src = volume([2, 2, 2], 0);
  const [p] = s.batch([src], createRng(1));
  assert.deepEqual(p!.origin, [-1, -2, -2]);
  assert.deepEqual(Array.from(p!.image).filter((v) => v !== 0).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(p!.label!.filter((v) => v === 2).length, 1);
  assert.equal(p!.label!.filter((v) => v !== 0 && v !== 2).length, 0);
});

test('the same seed gives the same patches', () => {
  const s = new PatchSampler({ patch: [5, 5, 5], foreground: 0.5 });
  const src = volume([20, 21, 22], 1234);
  const a = s.batch([src, src, src], createRng(9)).map((p) => p.origin);
  const b = s.batch([src, src, src], createRng(9)).map((p) => p.origin);
  assert.deepEqual(a, b);
});

test('windows cover the whole axis with at least the asked overlap', () => {
  assert.deepEqual(windowStarts(10, 16, 0.5), [0]);
  assert.deepEqual(windowStarts(16, 16, 0.5), [0]);
  const s = windowStarts(50, 16, 0.5);
  assert.equal(s[0], 0);
  assert.equal(s[s.length - 1], 34);
  for (let i = 1; i < s.length; i++) assert.ok(s[i]! - s[i - 1]! <= 8);
  const w = gaussianWeights([9, 9, 9], 1 / 8);
  assert.equal(w[(4 * 9 + 4) * 9 + 4], 1);
  assert.ok(w[0]! > 0 && w[0]! < 0.01);
});

test('sliding windows with an identity network give the volume back exactly, larger or smaller than the patch', async () => {
  for (const shape of [[13, 20, 7], [3, 4, 5]] as [number, number, number][]) {
    const n = shape[0] * shape[1] * shape[2];
    const image = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    let windows = 0;
    const identity = (x: tf.Tensor5D) => {
      windows += x.shape[0];
      return tf.concat([x, tf.neg(x)], 4) as tf.Tensor5D;
    };
    const probs = await slidingWindow(image, shape, identity, { patch: [8, 8, 8], classes: 2, overlap: 0.5, batchSize: 3 });
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(probs[2 * i]! - image[i]!) < 1e-5, `voxel ${i}`);
      assert.ok(Math.abs(probs[2 * i + 1]! + image[i]!) < 1e-5);
    }
    assert.equal(windows, shape[0] > 8 ? 3 * 4 * 1 : 1);
  }
});

test('streamed sliding-window labels equal the argmax of the whole probability map, delivered row by row within one slab of memory', async () => {
  const shape: [number, number, number] = [40, 9, 11];
  const n = shape[0] * shape[1] * shape[2];
  const image = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
  // A position-dependent "network" (its output depends on the window's content), three classes.
  const net = (x: tf.Tensor5D) => tf.tidy(() => tf.softmax(tf.concat([x, tf.mul(x, -0.5), tf.sin(tf.mul(x, 3))], 4)) as tf.Tensor5D);
  const o = { patch: [8, 6, 6] as [number, number, number], classes: 3, overlap: 0.5, batchSize: 5 };
  const probs = await slidingWindow(image, shape, net, o);
  const labels = await slidingWindowLabels(image, shape, net, o);
  for (let v = 0; v < n; v++) {
    const p = [probs[3 * v]!, probs[3 * v + 1]!, probs[3 * v + 2]!];
    assert.equal(labels[v], p.indexOf(Math.max(...p)), `voxel ${v}`);
  }
  const ranges: [number, number][] = [];
  await slidingWindowRows(image, shape, net, o, (z0, z1, rows) => {
    ranges.push([z0, z1]);
    assert.equal(rows.length, (z1 - z0) * 9 * 11 * 3);
  });
  assert.equal(ranges[0]![0], 0);
  assert.equal(ranges[ranges.length - 1]![1], 40);
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]![0], ranges[i - 1]![1], 'rows arrive in order, each once');
  // 40 rows arrive in several pieces as windows move on, not all at the end.
  assert.ok(ranges.length >= 4, JSON.stringify(ranges));
});

test('sliding-window inference can be cancelled', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(slidingWindow(new Float32Array(8), [2, 2, 2], (x) => x, { patch: [2, 2, 2], classes: 1, signal: ac.signal }), /cancelled/);
});

test('mirroring TTA averages softmax over the 8 mirrorings and maps each back', () => {
  const x = tf.randomNormal([1, 4, 4, 4, 1]) as tf.Tensor5D;
  // A network that is not mirror-symmetric: its logits depend on the position along W.
  const ramp = tf.reshape(tf.range(0, 4), [1, 1, 1, 4, 1]);
  let calls = 0;
  const logits = (v: tf.Tensor5D) => {
    calls++;
    return tf.concat([tf.mul(v, ramp), tf.zerosLike(v)], 4) as tf.Tensor5D;
  };
  const p = mirroredPredict(logits, [1, 2, 3])(x);
  assert.equal(calls, 8);
  assert.deepEqual(p.shape, [1, 4, 4, 4, 2]);
  const sum = tf.sum(p, 4);
  assert.ok(tf.max(tf.abs(tf.sub(sum, 1))).dataSync()[0]! < 1e-5);
  // Averaging over W-mirrorings makes the W dependence symmetric: ramp w and 3 - w average out.
  const expected = tf.tidy(() => {
    const a = tf.sigmoid(tf.mul(x, ramp));
    const b = tf.sigmoid(tf.mul(x, tf.sub(3, ramp)));
    return tf.div(tf.add(a, b), 2);
  });
  const got = tf.slice(p, [0, 0, 0, 0, 0], [1, 4, 4, 4, 1]);
  assert.ok(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]! < 1e-5);
});

test('largest-component post-processing keeps the biggest piece of each class and drops islands', () => {
  const shape: [number, number, number] = [1, 5, 5];
  const labels = Int32Array.from([
    1, 1, 0, 0, 1,
    1, 1, 0, 0, 0,
    0, 0, 0, 2, 0,
    2, 0, 0, 2, 0,
    0, 0, 0, 2, 0,
  ]);
  const out = keepLargestComponent(labels, shape, 3);
  assert.deepEqual(Array.from(out), [
    1, 1, 0, 0, 0,
    1, 1, 0, 0, 0,
    0, 0, 0, 2, 0,
    0, 0, 0, 2, 0,
    0, 0, 0, 2, 0,
  ]);
});

test('HD95 of two cubes shifted by 3 voxels along an axis of 2 mm spacing is 6 mm; empty masks give NaN', () => {
  const shape: [number, number, number] = [20, 10, 10];
  const cube = (z0: number) => {
    const m = new Uint8Array(2000);
    for (let z = z0; z < z0 + 5; z++) for (let y = 2; y < 7; y++) for (let x = 2; x < 7; x++) m[(z * 10 + y) * 10 + x] = 1;
    return m;
  };
  assert.equal(hd95(cube(2), cube(2), shape), 0);
  assert.ok(Math.abs(hd95(cube(2), cube(5), shape, [2, 1, 1]) - 6) < 1e-9);
  assert.ok(Number.isNaN(hd95(new Uint8Array(2000), cube(2), shape)));
});
