/**
 * The threaded wasm build in Node (tfjs never loads it there by itself): what runs where the
 * native kernels are not built, so this file turns them off (node:test runs it in its own process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../server/src/engine/backend';

process.env.MEDSTUDIO_NATIVE = '0';

test('wasm starts with 2 XNNPACK threads and computes what cpu computes', async () => {
  const s = await selectBackend({ backend: 'wasm', threads: 2 });
  assert.equal(s.backend, 'wasm');
  assert.equal(s.details.threads, 2);
  assert.equal(s.details.build, 'threaded SIMD build');
  const x = tf.randomNormal([2, 16, 16, 8], 0, 1, 'float32', 3);
  const f = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 4);
  const onWasm = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').dataSync();
  await tf.setBackend('cpu');
  const onCpu = tf.conv2d(tf.tensor4d(x.dataSync(), [2, 16, 16, 8]), tf.tensor4d(f.dataSync(), [3, 3, 8, 16]), 1, 'same').dataSync();
  let worst = 0;
  for (let i = 0; i < onCpu.length; i++) worst = Math.max(worst, Math.abs(onCpu[i]! - onWasm[i]!));
  assert.ok(worst < 1e-4, `max difference ${worst}`);
});
