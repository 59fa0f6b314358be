/**
 * The pieces of the webgpu rung that run anywhere: which adapters count as software (never
 * picked by auto), the `--software-gpu` command line, and the any-rank transpose's plan of
 * rank-4 moves (checked on cpu against tf.transpose; the webgpu layer checks it on the GPU path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { isSoftwareAdapter, softwareGpuEnv, SOFTWARE_GPU_ENV } from '../../../server/src/engine/softwareGpu';
import { axisMoves } from '../../../server/src/engine/kernels/webgpuTranspose';
import { canonicalTranspose } from '../../../server/src/engine/kernels/transposeKernel';
import { runWithSoftwareGpu } from '../../../server/src/cli/softwareGpu';
import { seededRandom } from '../../../server/src/engine/gradcheck';

test('SwiftShader, llvmpipe and fallback adapters count as software; a discrete GPU does not', () => {
  assert.ok(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }));
  assert.ok(isSoftwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }));
  assert.ok(isSoftwareAdapter({ vendor: 'x', architecture: 'y', description: 'z', isFallbackAdapter: true }));
  assert.ok(!isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }));
});

test('the SwiftShader environment names its Vulkan driver, or says what to install', () => {
  const missing = softwareGpuEnv({ MEDSTUDIO_SWIFTSHADER_DIR: '/nonexistent' });
  assert.ok('reason' in missing && /chromium/.test(missing.reason));
  const r = softwareGpuEnv();
  if ('env' in r) {
    assert.match(r.env.VK_ICD_FILENAMES!, /vk_swiftshader_icd\.json$/);
    assert.equal(r.env[SOFTWARE_GPU_ENV], '1');
  }
});

test('--software-gpu means the webgpu backend, refuses another, and is only for commands that take --backend', () => {
  const prev = process.env[SOFTWARE_GPU_ENV];
  process.env[SOFTWARE_GPU_ENV] = '1'; // as in the child the flag starts: no second spawn
  try {
    assert.deepEqual(runWithSoftwareGpu('doctor', ['--json'], true), { args: ['--json'] });
    assert.deepEqual(runWithSoftwareGpu('doctor', ['--software-gpu', '--json'], true).args, ['--json', '--backend', 'webgpu']);
    assert.throws(() => runWithSoftwareGpu('train', ['x.yaml', '--software-gpu', '--backend', 'wasm'], true), /runs on the webgpu backend/);
    assert.throws(() => runWithSoftwareGpu('info', ['--software-gpu', 'a.nii'], false), /commands that take --backend/);
  } finally {
    if (prev === undefined) delete process.env[SOFTWARE_GPU_ENV];
    else process.env[SOFTWARE_GPU_ENV] = prev;
  }
});

test('a transpose of any rank is a sequence of rank-4 moves that gives tf.transpose\'s result', async () => {
  await tf.setBackend('cpu');
  const rand = seededRandom(7);
  for (let k = 0; k < 40; k++) {
    const rank = 7 + Math.floor(rand() * 3);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 3));
    const perm = Array.from({ length: rank }, (_, i) => i).sort(() => rand() - 0.5);
    const x = tf.reshape(tf.range(0, shape.reduce((a, b) => a * b, 1)), shape);
    const c = canonicalTranspose(shape, perm);
    let t = tf.reshape(x, c.shape);
    for (const s of axisMoves(c.shape, c.perm)) {
      assert.equal(s.shape.length, 4);
      t = tf.transpose(tf.reshape(t, s.shape), s.perm);
    }
    const got = await tf.reshape(t, perm.map((a) => shape[a]!)).data();
    const want = await tf.transpose(x, perm).data();
    assert.deepEqual(Array.from(got), Array.from(want), `shape ${shape} perm ${perm}`);
    tf.dispose([x, t]);
  }
});
