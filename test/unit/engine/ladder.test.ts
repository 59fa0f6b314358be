/** The backend ladder's choices and, above all, its reasons. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../../server/src/engine/backend';
import { hasVulkanLoader, reasonFromDawnOutput } from '../../../server/src/engine/webgpuProbe';

const root = path.resolve(__dirname, '../../..');

test("setting backend: 'cpu' uses cpu and says why nothing better was tried", async () => {
  const s = await selectBackend({ backend: 'cpu' });
  assert.equal(s.backend, 'cpu');
  assert.equal(s.requested, 'cpu');
  assert.deepEqual(s.skipped.map((k) => k.backend), ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm']);
  for (const k of s.skipped) assert.equal(k.reason, "medstudio.compute.backend is set to 'cpu'");
});

test("forcing 'webgpu' without a GPU falls back down the ladder with a clear reason", async () => {
  const s = await selectBackend({ backend: 'webgpu', threads: 1 });
  if (s.backend === 'webgpu') {
    assert.ok(s.gpu && s.gpu.vendor.length > 0, 'an adapter names its vendor');
    return;
  }
  assert.equal(s.backend, 'wasm', 'falls back to the next rung, not straight to cpu');
  const w = s.skipped.find((k) => k.backend === 'webgpu');
  assert.ok(w, 'webgpu is listed as not used');
  assert.match(w.reason, /Vulkan|adapter|webgpu|Dawn/);
  assert.doesNotMatch(w.reason, /\n|at operator\(\)|\.cpp/);
});

test('the webgpu probe keeps Dawn\'s native stderr noise out of the process', () => {
  const code = `const { selectBackend } = require(${JSON.stringify(path.join(root, 'server/src/engine/backend.ts'))});
selectBackend({ backend: 'webgpu', threads: 1 }).then((s) => {
  console.log(JSON.stringify(s.skipped.find((k) => k.backend === 'webgpu') ?? {}));
  process.exit(0);
});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Couldn't load Vulkan|BackendVk\.cpp/);
});

test('Dawn output becomes one plain reason', () => {
  const noise = "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator() (/home/runner/work/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)";
  assert.equal(reasonFromDawnOutput(noise), 'no Vulkan loader (libvulkan.so.1) found: install the libvulkan1 package next to the GPU driver');
  assert.match(reasonFromDawnOutput(''), /no WebGPU adapter found/);
});

test('the Vulkan loader is found through LD_LIBRARY_PATH', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-vk-'));
  try {
    fs.writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    assert.equal(hasVulkanLoader({ LD_LIBRARY_PATH: dir }), true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
