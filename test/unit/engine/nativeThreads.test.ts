/**
 * With the native kernels built, they take the threads: wasm runs its single-threaded build (its
 * pool would only add wake-ups to the small ops left to it) and oneDNN gets the requested count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../server/src/engine/backend';
import { loadNative } from '../../../server/src/engine/native/loadNative';

test('with the native addon, the threads setting goes to the native kernels', async (t) => {
  const native = loadNative();
  if (!native.addon) return t.skip(`native addon not loaded: ${native.reason}`);
  const s = await selectBackend({ backend: 'wasm', threads: 2 });
  assert.equal(s.backend, 'wasm');
  assert.equal(s.details.threads, 2);
  assert.match(String(s.details.build), /single-threaded SIMD build \(the native kernels use the threads\)/);
  assert.match(String(s.details.nativeKernels), /oneDNN .*2 threads/);
});

test('after training stops, the native threads stop spinning (an idle server burns no core)', async (t) => {
  if (!loadNative().addon) return t.skip('native addon not loaded');
  await selectBackend({ backend: 'wasm', threads: 2 });
  const x = tf.randomNormal([16, 32, 32, 16]);
  const f = tf.randomNormal([3, 3, 16, 16]);
  for (let i = 0; i < 5; i++) tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').dataSync();
  await new Promise((r) => setTimeout(r, 2500)); // the spin lasts about a second
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 1000));
  const used = process.cpuUsage(before);
  assert.ok(used.user + used.system < 250_000, `${(used.user + used.system) / 1000} ms of CPU in 1 s of idling`);
});
