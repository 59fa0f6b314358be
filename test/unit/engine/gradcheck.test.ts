/**
 * Every kernel in MedStudio's wasm training pack, and every op a training step of its models
 * needs, against the pure-JS `cpu` backend over randomised shapes, strides, paddings and
 * dilations: normwise relative error <= 1e-4 (the suite `medstudio doctor --gradcheck` runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBackend } from '../../../server/src/engine/backend';
import { runGradcheck, formatGradcheckTable } from '../../../server/src/engine/gradcheck';
import { gradcheckFamilies } from '../../../server/src/engine/gradcheckCases';
import { registerTrainingKernels } from '../../../server/src/engine/kernels/register';

test('the wasm backend comes up with the training-kernel pack', async () => {
  const s = await ensureBackend({ backend: 'wasm', threads: 1 });
  assert.equal(s.backend, 'wasm');
  const names = registerTrainingKernels();
  for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Conv3D', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2', 'MaxPoolGrad', 'MaxPool3DGrad']) {
    assert.ok(names.includes(k), `${k} is registered`);
  }
  assert.equal(s.details.trainingKernels, names.length);
});

test('every registered pack kernel is exercised by some gradient check', () => {
  const covered = new Set<string>();
  // Draw each family a few times: kernel lists depend on the drawn configuration.
  let seed = 1;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (const f of gradcheckFamilies) for (let i = 0; i < 20; i++) for (const k of f.make(rand).kernels) covered.add(k);
  const missing = registerTrainingKernels().filter((k) => !covered.has(k));
  assert.deepEqual(missing, []);
});

for (const seed of [11, 12]) {
  test(`gradient checks against cpu, seed ${seed}`, async () => {
    await ensureBackend({ backend: 'wasm', threads: 1 });
    const results = await runGradcheck({ backend: 'wasm', seed, repeats: 3 });
    const failures = results.filter((r) => !r.ok);
    assert.deepEqual(failures.map((r) => `${r.name}: ${r.error ?? r.relErr}`), [], formatGradcheckTable(results).join('\n'));
    assert.ok(results.length >= 30);
  });
}

test('a wrong kernel is caught', async () => {
  // The harness itself: a case whose output differs between backends must fail, not pass.
  const { gradcheckFamilies: fams } = await import('../../../server/src/engine/gradcheckCases');
  const tf = await import('@tensorflow/tfjs-core');
  const fake = {
    name: 'skewed',
    make: () => ({
      name: 'skewed by backend',
      kernels: [],
      shapes: [[3, 4]],
      f: ([x]: import('@tensorflow/tfjs-core').Tensor[]) => tf.mul(x!, tf.getBackend() === 'wasm' ? 1.01 : 1),
      gradients: true,
    }),
  };
  fams.push(fake);
  try {
    const r = await runGradcheck({ backend: 'wasm', only: ['skewed'], repeats: 1 });
    assert.equal(r.length, 1);
    assert.equal(r[0]!.ok, false);
    assert.ok(r[0]!.relErr > 1e-3);
  } finally {
    fams.pop();
  }
});
