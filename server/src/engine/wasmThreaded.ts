/**
 * Loads tfjs-backend-wasm's threaded SIMD build in Node, which tfjs 4.22 never does by itself
 * (its WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false under Node, tensorflow/tfjs#3830).
 * With it XNNPACK's convolutions and matrix products run on several cores (measured here: 1.8x
 * on 2 cores). Three things stop the stock loader from working in Node, each handled below:
 *  - it hands Emscripten the pthread worker script as a blob: URL, which worker_threads cannot
 *    load: we write the script to a file instead (with its newlines escaped, as tfjs does);
 *  - the main script is also a Blob: we pass the file path of the same factory;
 *  - the C++ side caps threads at logical cores / 2 (it assumes hyper-threading), read once from
 *    os.cpus() while the module initialises: we report twice the wanted count during that call.
 * And one thing after: Emscripten keeps running pthread workers ref'd, so the thread pool alone
 * would keep Node alive after the work is done (a CLI or test that never exits): see
 * `releaseThreadPool`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as os from 'node:os';

/** The part of the Emscripten module object that tfjs's BackendWasm needs set up. */
interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: string[]) => unknown;
  tfjs?: unknown;
  PThread?: { runningWorkers: { unref?: () => void }[] };
}
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

function wasmOutDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

/** Writes the pthread worker script once per content (atomically) and returns its path. */
function workerScriptFile(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(wasmOutDir(), 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `medstudio-tfjs-wasm-worker-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Instantiates the threaded SIMD module with a thread pool able to hold `threads` threads. */
export async function instantiateThreadedWasm(threads: number): Promise<EmscriptenModule> {
  const dir = wasmOutDir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.js')) as Factory;
  const wasmFile = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')), 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerFile = workerScriptFile();
  // The module reads require('os').cpus() itself: patch the shared module object, not a copy.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const osModule = require('node:os') as { cpus: () => os.CpuInfo[] };
  const realCpus = osModule.cpus;
  const one = realCpus()[0]!;
  osModule.cpus = () => Array.from({ length: Math.max(2, threads * 2) }, () => one);
  let mod: EmscriptenModule;
  try {
    mod = await factory({
      locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : p.endsWith('.wasm') ? wasmFile : path.join(dir, p)),
      mainScriptUrlOrBlob: path.join(dir, 'tfjs-backend-wasm-threaded-simd.js'),
    });
  } finally {
    osModule.cpus = realCpus;
  }
  // The same bridge tfjs's own init() builds (backend_wasm.ts).
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  return mod;
}

/**
 * Lets the process exit while XNNPACK's pool threads idle. Call after the backend has created
 * its pool (BackendWasm's constructor); Node terminates the workers at exit.
 */
export function releaseThreadPool(mod: EmscriptenModule): void {
  for (const w of mod.PThread?.runningWorkers ?? []) w.unref?.();
}
