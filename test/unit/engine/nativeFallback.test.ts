/**
 * When the native addon rejects a case, training goes on: the wasm kernel it replaced runs, the
 * outputs the native attempt allocated are freed, and the user is told once per kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { outputs, runNative } from '../../../server/src/engine/native/nativeElementwise';
import type { WasmBackend } from '../../../server/src/engine/kernels/wasmOps';

const nativeError = (): Error => Object.assign(new Error('oneDNN: could not create a primitive descriptor'), { code: 'MEDSTUDIO_NATIVE' });

test('a case the native addon rejects falls back, frees its outputs and warns once', async () => {
  await ensureBackend({ backend: 'wasm', threads: 1 });
  const b = tf.backend() as unknown as WasmBackend & { numDataIds(): number };
  const before = b.numDataIds();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    for (let i = 0; i < 3; i++) {
      const r = runNative('TestConv', () => {
        outputs(b, [8, 8], [4]);
        throw nativeError();
      }, b);
      assert.equal(r, undefined);
    }
  } finally {
    console.warn = warn;
  }
  assert.equal(b.numDataIds(), before, 'no wasm buffers left behind');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /TestConv fell back to wasm: oneDNN/);
});

test('errors that are not the addon’s still reach the caller', async () => {
  await ensureBackend({ backend: 'wasm', threads: 1 });
  const b = tf.backend() as unknown as WasmBackend;
  assert.throws(() => runNative('TestConv', () => { throw new TypeError('bad shape'); }, b), /bad shape/);
});
