/**
 * One measurement in its own process (so peak RSS is this model's, and each backend/threads
 * choice starts clean): `node --import tsx child.ts '<json Job>'`. Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../server/src/engine/backend';
import type { BackendPreference } from '../../server/src/protocol';
import { MODELS, type ModelName } from './models';

export interface Job {
  model: ModelName;
  backend: BackendPreference;
  threads: number;
  /** Seconds of timed steps (at least 3 steps). */
  seconds: number;
  /** Also profile one step by kernel. */
  profile: boolean;
}

export interface JobResult {
  model: ModelName;
  backend: string;
  threads: number | null;
  device: string;
  steps: number;
  medianStepMs: number;
  imagesPerSec: number;
  peakRssMB: number;
  tensorsLeaked: number;
  loss: number;
  /** Top kernels of one profiled step: [name, ms]. */
  kernels?: [string, number][];
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const status = await ensureBackend({ backend: job.backend, threads: job.threads });
  const spec = MODELS[job.model];
  const trainer = await spec.build();
  let loss = trainer.step(); // warm-up: builds XNNPACK operators, pipelines, caches
  loss = trainer.step();
  const before = tf.memory().numTensors;
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || performance.now() - t0 < job.seconds * 1000) {
    const s = performance.now();
    loss = trainer.step();
    times.push(performance.now() - s);
  }
  const leaked = tf.memory().numTensors - before;
  let kernels: [string, number][] | undefined;
  if (job.profile) {
    const info = await tf.profile(() => {
      trainer.step();
    });
    const byName = new Map<string, number>();
    for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    kernels = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  }
  trainer.dispose();
  const ms = median(times);
  const threads = status.details.threads;
  const result: JobResult = {
    model: job.model,
    // The wasm backend carrying the native oneDNN kernels is named apart from pure wasm.
    backend: String(status.details.nativeKernels ?? '').startsWith('oneDNN') ? `${status.backend}+oneDNN` : status.backend,
    threads: typeof threads === 'number' ? threads : null,
    device: status.device,
    steps: times.length,
    medianStepMs: ms,
    imagesPerSec: (spec.batch * 1000) / ms,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    tensorsLeaked: leaked,
    loss,
    ...(kernels ? { kernels } : {}),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stdout.write(JSON.stringify({ error: e instanceof Error ? e.message.split('\n')[0] : String(e) }) + '\n');
  process.exit(1);
});
