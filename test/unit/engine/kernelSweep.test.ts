/**
 * Randomized differential tests (engine/kernelSweep.ts): the heavy kernels on the wasm backend
 * (native oneDNN ones where the addon loaded) against `cpu`, over spatial sizes 1-130, batches
 * 1-64, channels 1-67, every stride/padding/dilation, 2D, 3D, depthwise, matrix products with
 * broadcast batches, pooling, batch norm and odd broadcast shapes; plus the geometries that
 * corrupted the heap before (issue 17). Seeded: a failure names the seed that replays it with
 * `medstudio doctor --gradcheck --sweep-seed S`. MEDSTUDIO_SWEEP_SEED / _CASES draw other cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBackend } from '../../../server/src/engine/backend';
import { formatGradcheckTable } from '../../../server/src/engine/gradcheck';
import { familyOf, runKernelSweep, sweepFamilies } from '../../../server/src/engine/kernelSweep';
import { loadNative } from '../../../server/src/engine/native/loadNative';
import { nativeFallbacks } from '../../../server/src/engine/native/nativeElementwise';
import { NATIVE_KERNEL_NAMES } from '../../../server/src/engine/native/nativeKernels';
import { seededRandom } from '../../../server/src/engine/gradcheck';

const SEED = Number(process.env.MEDSTUDIO_SWEEP_SEED ?? 17001);
const CASES = Number(process.env.MEDSTUDIO_SWEEP_CASES ?? 42);

test(`randomized kernels against cpu, seeds ${SEED}..${SEED + CASES - 1}`, async (t) => {
  await ensureBackend({ backend: 'wasm', threads: 2 });
  const native = loadNative();
  t.diagnostic(native.addon ? `native kernels: ${native.addon.info()}` : `native kernels not loaded (${native.reason}): the wasm pack is tested`);
  const results = await runKernelSweep({ backend: 'wasm', seed: SEED, cases: CASES });
  const failures = results.filter((r) => !r.ok);
  const table = formatGradcheckTable(results).join('\n');
  assert.deepEqual(
    failures.map((r) => `${r.name}: ${r.error ?? r.relErr}${r.seed !== undefined ? ` (replay: medstudio doctor --gradcheck --sweep-seed ${r.seed})` : ''}`),
    [],
    table,
  );
  if (native.addon) {
    const rejected = native.addon.rejections();
    if (rejected.length) t.diagnostic(`oneDNN implementations the probes skipped: ${rejected.join('; ')}`);
    const fellBack = nativeFallbacks();
    if (fellBack.length) t.diagnostic(`native kernels that fell back to wasm: ${fellBack.join(', ')}`);
  }
});

test('the sweep reaches the extremes it promises and every native heavy kernel', () => {
  const fams = sweepFamilies();
  const names: string[] = [];
  const kernels = new Set<string>();
  for (let s = 0; s < 3000; s++) {
    const c = familyOf(s, fams).make(seededRandom(s));
    names.push(c.name);
    for (const k of c.kernels) kernels.add(k);
  }
  const all = names.join('\n');
  for (const re of [/x64x/, /x1x/, /x130x|x130\b/, /x67\b|->67\b|x67x/, /s3\b/, /d2\b/, /valid/, /same/, /pad\d/, /conv3d/, /depthwise/, /maxPool3d/, /\[1,1,1,\d+\]/, /x127x|x127\b|x113x|x109x/]) {
    assert.match(all, re, `some case matches ${re}`);
  }
  const heavy = NATIVE_KERNEL_NAMES.filter((k) => /Conv|MatMul|MaxPool/.test(k));
  assert.deepEqual(heavy.filter((k) => !kernels.has(k)), []);
});
