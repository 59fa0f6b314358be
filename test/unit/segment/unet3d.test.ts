/**
 * The convolutional U-Net on tiny inputs: output shapes (full resolution and the deep-supervision
 * levels, anisotropic strides included), instance norm that treats each sample on its own,
 * the matMul transposed convolution equal to tfjs's conv3dTranspose, gradients reaching every
 * parameter, and a few SGD steps that learn a synthetic segmentation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { Unet3d, totalStride, type Triple, type Unet3dConfig } from '../../../server/src/networks/unet3d';
import { leakyRelu, upsampleBy } from '../../../server/src/networks/unet3dOps';
import { ParamStore } from '../../../server/src/networks/vit3dParams';
import { deepSupervisionLoss } from '../../../server/src/methods/segment/unetLoss';
import { makeOptimizer, SCHEDULES, setLearningRate } from '../../../server/src/training/optim';

before(async () => {
  await ensureBackend({ threads: 1 });
});

const cfg = (over: Partial<Unet3dConfig> = {}): Unet3dConfig => {
  const strides: Triple[] = [[1, 1, 1], [2, 2, 2], [1, 2, 2]];
  return { channels: 1, classes: 3, features: 4, maxFeatures: 8, strides, kernels: strides.map(() => [3, 3, 3]), block: 'plain', deepSupervision: true, ...over };
};

test('the U-Net gives full-resolution logits and one lower-resolution output per deep-supervision level, with anisotropic strides', () => {
  for (const block of ['plain', 'residual'] as const) {
    const ps = new ParamStore(1);
    const net = new Unet3d(cfg({ block }), ps);
    assert.deepEqual(totalStride(net.config.strides), [2, 4, 4]);
    const outs = net.forward(tf.randomNormal([2, 4, 8, 8, 1]) as tf.Tensor5D, true);
    assert.deepEqual(outs.map((o) => o.shape), [[2, 4, 8, 8, 3], [2, 2, 4, 4, 3]], block);
    const single = net.apply(tf.randomNormal([1, 4, 8, 8, 1]) as tf.Tensor5D);
    assert.deepEqual(single.shape, [1, 4, 8, 8, 3]);
    tf.dispose([...outs, single]);
    ps.dispose();
  }
});

test('with depth-1 kernels and strides the same network is a 2D U-Net on single slices', () => {
  const ps = new ParamStore(1);
  const strides: Triple[] = [[1, 1, 1], [1, 2, 2], [1, 2, 2]];
  const net = new Unet3d(cfg({ strides, kernels: strides.map(() => [1, 3, 3]) }), ps);
  assert.deepEqual(ps.get('unet/enc0/conv0/w').shape, [1, 3, 3, 1, 4]);
  const outs = net.forward(tf.randomNormal([2, 1, 16, 16, 1]) as tf.Tensor5D, true);
  assert.deepEqual(outs.map((o) => o.shape), [[2, 1, 16, 16, 3], [2, 1, 8, 8, 3]]);
  tf.dispose(outs);
  ps.dispose();
});

test('without deep supervision only the full-resolution head exists', () => {
  const ps = new ParamStore(1);
  const net = new Unet3d(cfg({ deepSupervision: false }), ps);
  assert.equal(ps.has('unet/head1/w'), false);
  const outs = net.forward(tf.zeros([1, 4, 8, 8, 1]) as tf.Tensor5D, true);
  assert.equal(outs.length, 1);
  tf.dispose(outs);
  ps.dispose();
});

test('a sample in a batch is segmented exactly as on its own (instance norm sees one sample)', () => {
  const ps = new ParamStore(3);
  const net = new Unet3d(cfg(), ps);
  const a = tf.randomNormal([1, 4, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
  const b = tf.randomNormal([1, 4, 8, 8, 1], 5, 3, 'float32', 2) as tf.Tensor5D;
  const alone = net.apply(a);
  const batched = net.apply(tf.concat([a, b], 0) as tf.Tensor5D);
  const first = tf.slice(batched, [0, 0, 0, 0, 0], [1, 4, 8, 8, 3]);
  assert.ok(tf.max(tf.abs(tf.sub(alone, first))).dataSync()[0]! < 1e-4);
  ps.dispose();
});

test('the matMul upsampling is the transposed convolution with kernel = stride', () => {
  const ps = new ParamStore(5);
  ps.glorot('up/w', [3, 2 * 2 * 1 * 4], 3, 16);
  ps.normal('up/b', [4], 0.5);
  const x = tf.randomNormal([1, 3, 2, 5, 3]) as tf.Tensor5D;
  const ours = upsampleBy(ps, 'up', x, [2, 2, 1]);
  // The same weights as a conv3dTranspose filter [kd, kh, kw, out, in].
  const f = tf.transpose(tf.reshape(ps.get('up/w'), [3, 2, 2, 1, 4]), [1, 2, 3, 4, 0]) as tf.Tensor5D;
  const ref = tf.add(tf.conv3dTranspose(x, f, [1, 6, 4, 5, 4], [2, 2, 1], 'valid'), ps.get('up/b'));
  assert.deepEqual(ours.shape, [1, 6, 4, 5, 4]);
  assert.ok(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]! < 1e-4);
  ps.dispose();
});

test('the U-Net\'s leaky ReLU gives the values and gradients of tfjs\'s own (zeros, negatives, NaN; native-sized and small tensors)', () => {
  // 17920 elements: above the size from which Multiply runs natively (NATIVE_MIN_ELEMENTS).
  for (const n of [37, 40 * 56 * 8]) {
    const v = new Float32Array(n).map((_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 1.7) * 3));
    v[5] = NaN;
    const x = tf.tensor1d(v);
    const dy = tf.tensor1d(new Float32Array(n).map((_, i) => Math.cos(i * 0.3)));
    const [ours, ref] = [(t: tf.Tensor) => leakyRelu(t, 0.01), (t: tf.Tensor) => tf.leakyRelu(t, 0.01)].map((f) => {
      const g = tf.grad((t: tf.Tensor) => f(t))(x, dy).dataSync();
      return { y: f(x).dataSync(), g };
    });
    assert.ok(Number.isNaN(ours!.y[5]!) && Number.isNaN(ref!.y[5]!), 'NaN stays NaN');
    for (let i = 0; i < n; i++) {
      if (i === 5) continue;
      assert.ok(Math.abs(ours!.y[i]! - ref!.y[i]!) <= 1e-6 * Math.max(1, Math.abs(ref!.y[i]!)), `y[${i}] ${ours!.y[i]} vs ${ref!.y[i]}`);
      assert.ok(Math.abs(ours!.g[i]! - ref!.g[i]!) <= 1e-6, `dx[${i}] ${ours!.g[i]} vs ${ref!.g[i]} (x ${v[i]})`);
    }
    tf.dispose([x, dy]);
  }
});

test('every parameter gets a gradient, and SGD with the poly schedule learns a synthetic segmentation', () => {
  const ps = new ParamStore(7);
  const strides: Triple[] = [[1, 1, 1], [2, 2, 2]];
  const net = new Unet3d({ channels: 1, classes: 2, features: 4, maxFeatures: 8, strides, kernels: strides.map(() => [3, 3, 3]), block: 'residual', deepSupervision: true }, ps);
  // A bright cube on noise: label 1 inside it.
  const n = 8;
  const xs = new Float32Array(2 * n ** 3);
  const ys = new Int32Array(2 * n ** 3);
  for (let s = 0; s < 2; s++)
    for (let z = 0; z < n; z++)
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          const i = ((s * n + z) * n + y) * n + x;
          const inside = z >= 2 + s && z < 6 && y >= 2 && y < 6 - s && x >= 1 && x < 5;
          ys[i] = inside ? 1 : 0;
          xs[i] = (inside ? 1 : 0) + 0.3 * Math.sin(i * 12.9898);
        }
  const x = tf.tensor5d(xs, [2, n, n, n, 1]);
  const y = tf.tensor4d(ys, [2, n, n, n], 'int32');
  const optimizer = makeOptimizer({ optimizer: 'sgd', momentum: 0.99, nesterov: true, weightDecay: 0 }, 0.02);
  const vars = ps.variables();
  const loss = () => deepSupervisionLoss(net.forward(x, true), y, strides).loss;
  const { grads } = tf.variableGrads(loss, vars);
  const missing = Object.entries(grads).filter(([, g]) => tf.sum(tf.abs(g)).dataSync()[0] === 0);
  assert.deepEqual(missing.map(([k]) => k), [], 'parameters without gradient');
  tf.dispose(Object.values(grads));
  const before = loss().dataSync()[0]!;
  for (let step = 0; step < 30; step++) {
    setLearningRate(optimizer, SCHEDULES.poly(0.02, step, 30));
    const r = tf.variableGrads(loss, vars);
    optimizer.applyGradients(r.grads);
    tf.dispose([r.value, ...Object.values(r.grads)]);
  }
  const after = loss().dataSync()[0]!;
  assert.ok(after < before * 0.6, `loss ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  const pred = tf.argMax(net.apply(x), 4).dataSync();
  let agree = 0;
  for (let i = 0; i < ys.length; i++) agree += pred[i] === ys[i] ? 1 : 0;
  assert.ok(agree / ys.length > 0.9, `voxel accuracy ${(agree / ys.length).toFixed(3)}`);
  optimizer.dispose();
  ps.dispose();
});

test('the poly schedule starts at lr, ends at 0 and falls as (1 - t)^0.9', () => {
  assert.equal(SCHEDULES.poly(0.01, 0, 100), 0.01);
  assert.equal(SCHEDULES.poly(0.01, 100, 100), 0);
  assert.ok(Math.abs(SCHEDULES.poly(0.01, 50, 100) - 0.01 * 0.5 ** 0.9) < 1e-12);
});

test('deep supervision scores the coarse outputs against the real subsampled labels (the same loss as on the cpu reference)', async () => {
  const ps = new ParamStore(2);
  const net = new Unet3d(cfg(), ps);
  const shape = [2, 4, 8, 8];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor5d(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), [2, 4, 8, 8, 1]);
  const y = tf.tensor4d(Int32Array.from({ length: n }, (_, i) => (i * 7919) % 3), shape as [number, number, number, number], 'int32');
  const lossOn = async (backend: string) => {
    await tf.setBackend(backend);
    const l = tf.tidy(() => deepSupervisionLoss(net.forward(x, true), y, net.config.strides).loss);
    const [v] = await l.data();
    l.dispose();
    return v!;
  };
  const here = tf.getBackend();
  const got = await lossOn(here);
  const reference = await lossOn('cpu');
  await tf.setBackend(here);
  // Before the fix wasm's coarse labels were all 0 (background) and the loss differed by ~6%.
  assert.ok(Math.abs(got - reference) < 1e-4 * Math.abs(reference), `loss ${got} on ${here}, ${reference} on cpu`);
  tf.dispose([x, y]);
});
