/**
 * Finds a WebGPU adapter without noise. Dawn writes loader failures straight to stderr from
 * native code ("Couldn't load Vulkan: libvulkan.so.1 ..."), which would leak into every server
 * log and CLI run. So: on Linux check for the Vulkan loader first (Dawn's only Linux backend),
 * then ask Dawn for an adapter in a short-lived child process whose stderr we keep, and turn
 * what it says into one plain reason.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GpuAdapterInfo } from '../protocol';
import { isSoftwareAdapter, type AdapterIdentity } from './softwareGpu';

export type AdapterProbe = { ok: true; adapter: GpuAdapterInfo } | { ok: false; reason: string };

/** Limits that decide what fits on the GPU when training. */
export const ADAPTER_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

/** Whether the dynamic loader can find libvulkan.so.1 (ldconfig cache, LD_LIBRARY_PATH, usual dirs). */
export function hasVulkanLoader(env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  if (dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')))) return true;
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

/** Turns Dawn's stderr into one short reason. */
export function reasonFromDawnOutput(stderr: string): string {
  if (/libvulkan\.so\.1/.test(stderr)) return 'no Vulkan loader (libvulkan.so.1) found: install the libvulkan1 package next to the GPU driver';
  if (/vulkan/i.test(stderr) && /(no|not).*(device|driver|ICD)/i.test(stderr)) return 'Vulkan loader found but no Vulkan GPU driver (ICD)';
  return 'no WebGPU adapter found (no Vulkan, Metal or D3D12 GPU visible to Dawn)';
}

// Runs in the child: prints one JSON line with the adapter, or {ok:false}.
const CHILD = `
const { create } = await import(process.argv[1]);
const gpu = create([]);
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!a) { console.log(JSON.stringify({ ok: false })); process.exit(0); }
const info = a.info ?? (a.requestAdapterInfo ? await a.requestAdapterInfo() : {});
const limits = {};
for (const k of JSON.parse(process.argv[2])) limits[k] = Number(a.limits[k] ?? 0);
console.log(JSON.stringify({ ok: true, adapter: { vendor: info.vendor || 'unknown', architecture: info.architecture || 'unknown', description: info.description || info.device || '', isFallbackAdapter: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter), limits } }));
process.exit(0);
`;

export async function probeWebgpuAdapter(timeoutMs = 20000): Promise<AdapterProbe> {
  let entry: string;
  try {
    entry = require.resolve('webgpu');
  } catch {
    return { ok: false, reason: 'the webgpu package (Dawn) is not installed' };
  }
  if (process.platform === 'linux' && !hasVulkanLoader()) {
    return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1) found: install the libvulkan1 package next to the GPU driver' };
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(entry).href, JSON.stringify(ADAPTER_LIMITS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as { ok: true; adapter: AdapterIdentity & { limits: Record<string, number> } } | { ok: false };
        if (r.ok) {
          const { isFallbackAdapter: _fallback, ...adapter } = r.adapter;
          return resolve({ ok: true, adapter: { ...adapter, software: isSoftwareAdapter(r.adapter) } });
        }
      } catch {
        if (code !== 0 && !/vulkan/i.test(err)) {
          return resolve({ ok: false, reason: `Dawn could not start (exit ${code ?? 'killed'}): ${err.trim().split('\n')[0] ?? ''}`.trim() });
        }
      }
      resolve({ ok: false, reason: reasonFromDawnOutput(err) });
    });
  });
}
