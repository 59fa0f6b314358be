/**
 * `npm run bench -- train-throughput [--json] [--models A,B,C,D] [--seconds 6] [--rounds 2]
 *   [--threads 0|1,2] [--backends auto,wasm-pure,webgpu,cpu] [--torch-threads 2] [--no-torch] [--profile]`
 *
 * Trains models A-D (issue 3) on random data with MedStudio's engine — on the backend the ladder
 * picks, plus webgpu when an adapter exists — and with PyTorch CPU when python3 has torch,
 * alternating them within each round so they share the machine's conditions. Each measurement
 * runs in its own process (clean backend, honest peak RSS). Figures: median images/s over
 * rounds, GFLOP/s from analytic training FLOPs, peak RSS, ratio to PyTorch. Never fails on time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Bench } from './run';
import { probeWebgpuAdapter } from '../server/src/engine/webgpuProbe';
import { loadNative } from '../server/src/engine/native/loadNative';
import type { Job, JobResult } from './train-throughput/child';
import { MODEL_NAMES, MODELS, type ModelName } from './train-throughput/models';

interface Options {
  models: ModelName[];
  seconds: number;
  rounds: number;
  threads: number[];
  backends: string[];
  torchThreads: number;
  torch: boolean;
  profile: boolean;
}

function parse(args: string[]): Options {
  const val = (k: string): string | undefined => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    models: (val('models') ?? MODEL_NAMES.join(',')).split(',').filter((m): m is ModelName => (MODEL_NAMES as string[]).includes(m)),
    seconds: Number(val('seconds') ?? 6),
    rounds: Number(val('rounds') ?? 2),
    threads: (val('threads') ?? '0').split(',').map(Number),
    // wasm-pure: the wasm backend with the native addon turned off (MEDSTUDIO_NATIVE=0).
    backends: (val('backends') ?? 'auto,wasm-pure').split(','),
    torchThreads: Number(val('torch-threads') ?? 2),
    torch: !args.includes('--no-torch'),
    profile: args.includes('--profile'),
  };
}

/** A python3 that imports torch (pyenv shims may hide Debian's python3-torch), or none. */
function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60000 });
      return py;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const here = path.join(__dirname, 'train-throughput');

function runTfjs(job: Job, native: boolean): JobResult {
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'child.ts'), JSON.stringify(job)], {
    encoding: 'utf8',
    env: native ? process.env : { ...process.env, MEDSTUDIO_NATIVE: '0' },
    timeout: Math.max(180, job.seconds * 10) * 1000,
    maxBuffer: 1 << 24,
  });
  return parseResult(r.stdout, r.stderr, job.model, job.backend);
}

function runTorch(py: string, model: ModelName, threads: number, seconds: number): JobResult {
  const r = spawnSync(py, [path.join(here, 'torch_models.py'), JSON.stringify({ model, threads, seconds })], {
    encoding: 'utf8',
    timeout: Math.max(180, seconds * 10) * 1000,
  });
  return parseResult(r.stdout, r.stderr, model, 'pytorch-cpu');
}

function parseResult(stdout: string, stderr: string, model: ModelName, backend: string): JobResult {
  const line = (stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const r = JSON.parse(line) as JobResult;
    if (!r.error) return r;
    return failed(model, backend, r.error);
  } catch {
    return failed(model, backend, (stderr ?? '').trim().split('\n').slice(-1)[0] || 'no result');
  }
}

function failed(model: ModelName, backend: string, error: string): JobResult {
  return { model, backend, threads: null, device: '', steps: 0, medianStepMs: NaN, imagesPerSec: NaN, peakRssMB: NaN, tensorsLeaked: 0, loss: NaN, error };
}

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Row {
  model: ModelName;
  backend: string;
  threads: number | null;
  imagesPerSec: number;
  gflops: number;
  peakRssMB: number;
  vsPytorch?: number;
  runs: number[];
  kernels?: [string, number][];
  error?: string;
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

const bench: Bench = async ({ args, log }) => {
  const o = parse(args);
  const py = o.torch ? findTorchPython() : undefined;
  const configs: { backend: string; threads: number; native: boolean }[] = [];
  for (const b of o.backends) {
    if (b === 'webgpu') continue; // added below only when an adapter exists
    if (b === 'wasm-pure' && !loadNative().addon) continue; // identical to plain wasm then
    const backend = b === 'wasm-pure' ? 'wasm' : b;
    for (const t of backend === 'auto' || backend === 'wasm' ? o.threads : [0]) configs.push({ backend, threads: t, native: b !== 'wasm-pure' });
  }
  const gpu = await probeWebgpuAdapter();
  if (gpu.ok) configs.push({ backend: 'webgpu', threads: 0, native: true });
  log(`train-throughput: models ${o.models.join(',')}, ${o.rounds} round(s) of ${o.seconds} s per measurement, alternating`);
  log(`webgpu: ${gpu.ok ? `${gpu.adapter.vendor} ${gpu.adapter.architecture}` : `not measured (${gpu.reason})`}`);
  const native = loadNative();
  log(`native kernels: ${native.addon ? `${native.addon.info()}; wasm-pure rows are the wasm backend without them` : native.reason}`);
  log(`pytorch: ${py ? `${py}, ${o.torchThreads} thread(s)` : 'not measured (no python3 with torch)'}`);

  const samples = new Map<string, JobResult[]>();
  const key = (m: string, b: string, t: number | null): string => `${m}|${b}|${t ?? '-'}`;
  const add = (r: JobResult, want: string): void => {
    const k = key(r.model, want, r.error ? null : r.threads);
    samples.set(k, [...(samples.get(k) ?? []), r]);
  };
  for (let round = 0; round < o.rounds; round++) {
    for (const m of o.models) {
      for (const c of configs) {
        const r = runTfjs({ model: m, backend: c.backend as Job['backend'], threads: c.threads, seconds: o.seconds, profile: o.profile && round === 0 }, c.native);
        add(r, r.error ? c.backend : r.backend);
        log(`  round ${round + 1} ${m} ${r.backend}${r.threads ? ` x${r.threads}` : ''}: ${r.error ? `failed: ${r.error}` : `${fmt(r.imagesPerSec)} images/s`}`);
      }
      if (py) {
        const r = runTorch(py, m, o.torchThreads, o.seconds);
        add(r, 'pytorch-cpu');
        log(`  round ${round + 1} ${m} pytorch-cpu x${o.torchThreads}: ${r.error ? `failed: ${r.error}` : `${fmt(r.imagesPerSec)} images/s`}`);
      }
    }
  }

  const rows: Row[] = [];
  for (const [k, rs] of samples) {
    const [model, backend] = k.split('|') as [ModelName, string];
    const ok = rs.filter((r) => !r.error);
    const ips = median(ok.map((r) => r.imagesPerSec));
    rows.push({
      model,
      backend,
      threads: ok[0]?.threads ?? null,
      imagesPerSec: ips,
      gflops: (ips * MODELS[model].trainFlopsPerImage) / 1e9,
      peakRssMB: Math.max(...ok.map((r) => r.peakRssMB), 0),
      runs: ok.map((r) => Math.round(r.imagesPerSec * 10) / 10),
      ...(ok.find((r) => r.kernels)?.kernels ? { kernels: ok.find((r) => r.kernels)!.kernels } : {}),
      ...(ok.length ? {} : { error: rs[0]?.error }),
    });
  }
  for (const r of rows) {
    const torch = rows.find((t) => t.model === r.model && t.backend === 'pytorch-cpu');
    if (torch && r.backend !== 'pytorch-cpu' && Number.isFinite(torch.imagesPerSec)) r.vsPytorch = r.imagesPerSec / torch.imagesPerSec;
  }
  rows.sort((a, b) => a.model.localeCompare(b.model) || a.backend.localeCompare(b.backend) || (a.threads ?? 0) - (b.threads ?? 0));

  log('');
  log('model  backend (threads)      images/s  vs PyTorch  GFLOP/s  peak RSS MB  runs');
  for (const r of rows) {
    const be = `${r.backend}${r.threads ? ` (${r.threads})` : ''}`;
    log(
      `${r.model.padEnd(6)} ${be.padEnd(22)} ${fmt(r.imagesPerSec).padStart(8)}  ${(r.vsPytorch !== undefined ? `${fmt(r.vsPytorch, 2)}x` : '').padStart(10)}  ${fmt(r.gflops).padStart(7)}  ${fmt(r.peakRssMB, 0).padStart(11)}  ${r.error ? `failed: ${r.error}` : r.runs.join(', ')}`,
    );
  }
  for (const r of rows.filter((x) => x.kernels)) {
    log(`where time goes, model ${r.model} on ${r.backend}${r.threads ? ` (${r.threads} threads)` : ''} (one profiled step, ms): ${r.kernels!.map(([n, ms]) => `${n} ${fmt(ms)}`).join(', ')}`);
  }
  for (const m of o.models) log(`model ${m}: ${MODELS[m].describe}; ${fmt(MODELS[m].trainFlopsPerImage / 1e6)} MFLOP per training image`);
  return {
    bench: 'train-throughput',
    rounds: o.rounds,
    secondsPerMeasurement: o.seconds,
    webgpu: gpu.ok ? gpu.adapter : { measured: false, reason: gpu.reason },
    pytorch: py ? { python: py, threads: o.torchThreads } : { measured: false },
    results: rows,
  };
};

export default bench;
