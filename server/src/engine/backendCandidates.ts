/** One loader per rung of the backend ladder. Each says plainly why it cannot be used. */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { BackendName, BackendPreference, GpuAdapterInfo } from '../protocol';
import { softwareGpuAllowed } from './softwareGpu';
import { watchGpuErrors } from './gpuErrors';
import { cpuDescription } from './backend';
import { enableThreadGovernor } from './threadGovernor';
import { instantiateThreadedWasm, releaseThreadPool } from './wasmThreaded';
import { probeWebgpuAdapter } from './webgpuProbe';
import { loadNative } from './native/loadNative';

export type BackendAttempt =
  | {
      ok: true;
      device: string;
      versions?: Record<string, string>;
      details?: Record<string, string | number | boolean>;
      gpu?: GpuAdapterInfo;
    }
  | { ok: false; reason: string };

type Loader = (o: { threads: number; requested: BackendPreference }) => Promise<BackendAttempt>;

/**
 * Loads an optional package; explains a missing one in the user's words. `load` is a literal
 * `require('<name>')` for the pure-JS backends, so that esbuild bundles them with the same
 * tfjs-core as the rest of the process; native packages (tfjs-node, Dawn) load by name at run time.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
function optionalRequire(name: string, load: () => unknown = () => require(name)): { mod?: unknown; reason?: string } {
  try {
    return { mod: load() };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Cannot find module/.test(msg) && msg.includes(name)) return { reason: `${name} is not installed` };
    return { reason: `${name} failed to load: ${msg.split('\n')[0]}` };
  }
}

function packageVersion(name: string): string | undefined {
  try {
    const p = require.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** tfjs-node-gpu needs exactly CUDA 11.2 + cuDNN 8.1; otherwise it silently runs on the CPU. */
function missingCudaLibraries(): string[] {
  let listing = '';
  try {
    listing = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    /* no ldconfig: fall back to LD_LIBRARY_PATH scan below */
  }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const wanted = ['libcudart.so.11.0', 'libcudnn.so.8'];
  return wanted.filter((lib) => !listing.includes(lib) && !dirs.some((d) => fs.existsSync(path.join(d, lib))));
}

async function useTfBackend(name: string): Promise<boolean> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok && tf.getBackend() === name;
}

const tensorflowGpu: Loader = async () => {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return { ok: false, reason: `@tensorflow/tfjs-node-gpu has no CUDA build for ${process.platform}` };
  }
  const missing = missingCudaLibraries();
  const r = optionalRequire('@tensorflow/tfjs-node-gpu');
  if (!r.mod) return { ok: false, reason: r.reason! };
  // Loaded, but without CUDA 11.2 libraries it runs on the CPU: say so rather than claim a GPU.
  if (missing.length > 0) {
    return { ok: false, reason: `CUDA 11.2 libraries not found (${missing.join(', ')}): tfjs-node-gpu would run on the CPU` };
  }
  if (!(await useTfBackend('tensorflow'))) return { ok: false, reason: 'tfjs-node-gpu loaded but its backend did not start' };
  return { ok: true, device: 'NVIDIA GPU (CUDA 11.2, libtensorflow)', versions: { 'tfjs-node-gpu': packageVersion('@tensorflow/tfjs-node-gpu') ?? '?' } };
};

const tensorflowCpu: Loader = async () => {
  const r = optionalRequire('@tensorflow/tfjs-node');
  if (!r.mod) return { ok: false, reason: r.reason! };
  if (!(await useTfBackend('tensorflow'))) return { ok: false, reason: 'tfjs-node loaded but its backend did not start' };
  return { ok: true, device: `${cpuDescription()}, libtensorflow`, versions: { 'tfjs-node': packageVersion('@tensorflow/tfjs-node') ?? '?' } };
};

const webgpu: Loader = async ({ requested }) => {
  // Probe in a child first: Dawn's native stderr noise stays there, and a missing adapter costs
  // no in-process state.
  const probe = await probeWebgpuAdapter();
  if (!probe.ok) return { ok: false, reason: probe.reason };
  const gpuInfo = probe.adapter;
  // A CPU implementation of WebGPU is far slower than wasm: only a test or --software-gpu asks for it.
  if (gpuInfo.software && !(requested === 'webgpu' && softwareGpuAllowed())) {
    return { ok: false, reason: `the only WebGPU adapter is a software one (${adapterName(gpuInfo)}), slower than the CPU backends; \`medstudio --software-gpu\` uses it for checks` };
  }
  const dawn = optionalRequire('webgpu');
  if (!dawn.mod) return { ok: false, reason: dawn.reason! };
  // tfjs-backend-webgpu registers itself at load time only if navigator.gpu exists: Dawn first.
  if (!tf.engine().registryFactory.webgpu) {
    const { create, globals } = dawn.mod as { create: (o: string[]) => GPU; globals: Record<string, unknown> };
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wg = optionalRequire('@tensorflow/tfjs-backend-webgpu', () => require('@tensorflow/tfjs-backend-webgpu'));
  if (!wg.mod) return { ok: false, reason: wg.reason! };
  if (!tf.engine().registryFactory.webgpu) return { ok: false, reason: 'tfjs-backend-webgpu did not register (navigator.gpu missing when it loaded)' };
  if (!(await useTfBackend('webgpu'))) return { ok: false, reason: 'tfjs-backend-webgpu did not start on the adapter' };
  watchGpuErrors((tf.backend() as unknown as { device: Parameters<typeof watchGpuErrors>[0] }).device);
  const { registerWebgpuKernels } = await import('./kernels/webgpu');
  const fixes = registerWebgpuKernels();
  return {
    ok: true,
    device: adapterName(gpuInfo),
    versions: { webgpu: packageVersion('webgpu') ?? '?', 'tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu') ?? '?' },
    gpu: gpuInfo,
    details: { kernelFixes: fixes.join(', ') },
  };
};

function adapterName(a: GpuAdapterInfo): string {
  return `${a.vendor} ${a.architecture} ${a.description}`.trim() + (a.software ? ' (software, on the CPU)' : '');
}

/** Threads for the wasm backend: the setting, else every core (XNNPACK caps at 8). */
function wasmThreads(requested: number): number {
  const env = Number(process.env.MEDSTUDIO_WASM_THREADS ?? 0);
  const n = requested > 0 ? requested : env > 0 ? env : os.availableParallelism();
  return Math.max(1, Math.min(8, Math.floor(n)));
}

let wasmThreading: { threads: number; note: string } | undefined;

const wasm: Loader = async ({ threads }) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const w = optionalRequire('@tensorflow/tfjs-backend-wasm', () => require('@tensorflow/tfjs-backend-wasm'));
  if (!w.mod) return { ok: false, reason: w.reason! };
  const mod = w.mod as typeof import('@tensorflow/tfjs-backend-wasm');
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  mod.setWasmPaths(dir + path.sep);
  // First time in this process: swap in the threaded build's factory (tfjs never uses it in Node).
  const native = loadNative();
  if (!wasmThreading && !tf.engine().registry.wasm) {
    // With the native kernels carrying the heavy work on their own threads, wasm's pool would
    // only add thread wake-ups to the small ops left to it (MEDSTUDIO_NATIVE_WASM_POOL=1 keeps it).
    const want = native.addon && process.env.MEDSTUDIO_NATIVE_WASM_POOL !== '1' ? 1 : wasmThreads(threads);
    wasmThreading = { threads: want, note: native.addon && want === 1 ? 'single-threaded SIMD build (the native kernels use the threads)' : 'single-threaded SIMD build' };
    const stockFactory = tf.engine().registryFactory.wasm;
    if (want > 1 && stockFactory) {
      tf.removeBackend('wasm');
      tf.registerBackend(
        'wasm',
        async () => {
          const em = await instantiateThreadedWasm(want);
          const backend = new mod.BackendWasm(em as never); // creates XNNPACK's thread pool
          releaseThreadPool(em);
          return backend;
        },
        stockFactory.priority,
      );
      mod.setThreadsCount(want);
      wasmThreading.note = 'threaded SIMD build';
      if (!(await useTfBackend('wasm').catch(() => false))) {
        // Fall back to the stock single-threaded build rather than lose the rung.
        tf.removeBackend('wasm');
        tf.registerBackend('wasm', stockFactory.factory, stockFactory.priority);
        wasmThreading.note = 'single-threaded SIMD build (the threaded build failed to start)';
      }
    }
  }
  if (!(await useTfBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not start' };
  const { registerTrainingKernels, registerNativeKernels } = await import('./kernels/register');
  const pack = registerTrainingKernels();
  let nativeNote: string;
  if (native.addon) {
    native.addon.setThreads(wasmThreads(threads));
    const addon = native.addon;
    // Automatic thread count: training measures what the cores give (threadGovernor.ts).
    enableThreadGovernor(threads > 0 || Number(process.env.MEDSTUDIO_WASM_THREADS ?? 0) > 0 ? 1 : wasmThreads(threads), (n) => addon.setThreads(n));
    registerNativeKernels(native.addon);
    nativeNote = native.addon.info();
  } else {
    nativeNote = native.reason;
  }
  return {
    ok: true,
    device: `${cpuDescription()}, wasm`,
    versions: { 'tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm') ?? '?' },
    details: { threads: native.addon ? wasmThreads(threads) : mod.getThreadsCount(), build: wasmThreading?.note ?? 'stock', trainingKernels: pack.length, nativeKernels: nativeNote },
  };
};

const cpu: Loader = async () => {
  if (!(await useTfBackend('cpu'))) return { ok: false, reason: 'the cpu backend did not start' };
  return { ok: true, device: `${cpuDescription()}, pure JavaScript` };
};

export const candidates: Record<BackendName, Loader> = {
  'tensorflow-gpu': tensorflowGpu,
  tensorflow: tensorflowCpu,
  webgpu,
  wasm,
  cpu,
};
