/**
 * Child process for the webgpu layer: selects one backend (`wasm`, or `webgpu` on SwiftShader
 * when started with softwareGpuEnv()), trains the given experiments in order with the same
 * runner the CLI and the server use, and prints one RESULT line per experiment: every step's
 * loss, the epoch metrics, and the engine's tensor count before and after the run.
 * An experiment's YAML may name an earlier one's run folder as `{{run:<name>}}` (a DisCo teacher).
 * Usage: node --import tsx trainSteps.ts '<json: StepsRequest>'
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { runExperiment } from '../../../server/src/runs/runner';
import type { EvalMetrics } from '../../../server/src/protocol';

export interface StepsRequest {
  backend: 'wasm' | 'webgpu';
  /** The folder the experiments' relative data paths start from. */
  dataDir: string;
  /** Where the runs go. */
  outDir: string;
  experiments: { name: string; yaml: string }[];
}

export interface StepsResult {
  name: string;
  backend: string;
  /** Loss of every step, in order. */
  losses: number[];
  metrics: EvalMetrics[];
  tensorsBefore: number;
  tensorsAfter: number;
  seconds: number;
  /** The run folder, when the run finished. */
  runDir?: string;
  error?: string;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2]!) as StepsRequest;
  const status = await ensureBackend({ backend: req.backend, threads: 1 });
  console.log(`BACKEND ${JSON.stringify({ backend: status.backend, device: status.device, skipped: status.skipped })}`);
  if (status.backend !== req.backend) return;
  const runs = new Map<string, string>();
  for (const { name, yaml } of req.experiments) {
    // Beside the data (relative paths in the YAML resolve from it), one file per backend.
    const file = path.join(req.dataDir, `${req.backend}-${name}.medstudio.yaml`);
    fs.writeFileSync(file, yaml.replace(/\{\{run:([\w-]+)\}\}/g, (_, n: string) => runs.get(n) ?? `missing run ${n}`));
    const losses: number[] = [];
    const metrics: EvalMetrics[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const t0 = performance.now();
    let error: string | undefined;
    let runDir: string | undefined;
    try {
      const r = await runExperiment(file, {
        outDir: path.join(req.outDir, 'runs'),
        onEvent: (e) => {
          if (e.kind === 'progress') losses.push(e.progress.loss);
          if (e.kind === 'metrics') metrics.push(e.metrics);
        },
      });
      runs.set(name, r.info.runDir);
      runDir = r.info.runDir;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const result: StepsResult = { name, backend: tf.getBackend(), losses, metrics, tensorsBefore, tensorsAfter: tf.memory().numTensors, seconds: (performance.now() - t0) / 1000, ...(runDir ? { runDir } : {}), ...(error ? { error } : {}) };
    console.log(`RESULT ${JSON.stringify(result)}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exit(1);
  },
);
