/**
 * The webgpu backend as `medstudio doctor` checks it, from the built CLI: with `--software-gpu`
 * it runs on SwiftShader and every gradient check of the ops MedStudio's models use matches the
 * cpu reference; without the flag, `auto` never picks a software adapter, and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { SOFTWARE_GPU_ENV, softwareGpuEnv } from '../../server/src/engine/softwareGpu';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'bin', 'medstudio.js');

interface DoctorJson {
  backend: string;
  gpu?: { software: boolean; architecture: string };
  skipped: { backend: string; reason: string }[];
  gradcheck?: { passed: number; failed: number; results: { name: string; ok: boolean; relErr: number; error?: string }[] };
}

function doctor(args: string[], env: NodeJS.ProcessEnv): DoctorJson {
  const r = spawnSync(process.execPath, [cli, 'doctor', ...args, '--json'], { cwd: root, encoding: 'utf8', env, timeout: 600_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `doctor printed no JSON (exit ${r.status}): ${r.stderr.slice(-400)}`);
  return JSON.parse(last) as DoctorJson;
}

test('doctor --software-gpu --gradcheck: every op a training step needs matches cpu on webgpu', () => {
  const d = doctor(['--software-gpu', '--gradcheck', '--repeats', '2', '--sweep', '6'], process.env);
  assert.equal(d.backend, 'webgpu', JSON.stringify(d.skipped));
  assert.equal(d.gpu?.software, true);
  const failed = d.gradcheck!.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error ?? r.relErr}`);
  assert.deepEqual(failed, []);
  assert.ok(d.gradcheck!.passed >= 30, `only ${d.gradcheck!.passed} checks ran`);
  // The 8-axis transposes of 3D patchify/upsampling (stock tfjs-webgpu stops at rank 6) are among them.
  assert.ok(d.gradcheck!.results.some((r) => r.name.startsWith('transpose x') && r.name.split('x').length - 1 > 6));
});

test('auto never picks a software WebGPU adapter, even where one is the only adapter', () => {
  const sw = softwareGpuEnv();
  assert.ok(!('reason' in sw), 'reason' in sw ? sw.reason : '');
  const env = { ...sw.env };
  delete env[SOFTWARE_GPU_ENV];
  const d = doctor([], env);
  assert.notEqual(d.backend, 'webgpu');
  const why = d.skipped.find((s) => s.backend === 'webgpu')?.reason ?? '';
  assert.match(why, /software/);
  // Asked for by name without the explicit flag: still not used.
  const named = doctor(['--backend', 'webgpu'], env);
  assert.notEqual(named.backend, 'webgpu');
});

test('a kernel the GPU rejects stops training at the next read instead of returning garbage', () => {
  const sw = softwareGpuEnv();
  assert.ok(!('reason' in sw), 'reason' in sw ? sw.reason : '');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'gpuError.ts')], { cwd: root, encoding: 'utf8', env: sw.env, timeout: 120_000 });
  assert.match(r.stdout, /BEFORE 2/, r.stderr.slice(-400));
  assert.match(r.stdout, /READ_FAILED the GPU rejected a kernel \(WebGPU: .+\)/);
});
