/** Evaluates a finished run with its method's evaluator, on its own data or another experiment's. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ensureBackend } from '../engine/backend';
import { loadExperiment } from '../experiment/load';
import type { Experiment } from '../experiment/types';
import { methodRunner } from '../methods';
import type { EvalMetrics } from '../protocol';
import { RUN_FILES } from '../runs/runDir';

export async function evaluateRun(runDir: string, experimentPath?: string): Promise<EvalMetrics> {
  const experiment: Experiment = experimentPath
    ? await loadExperiment(experimentPath)
    : (JSON.parse(await fs.readFile(path.join(runDir, RUN_FILES.experiment), 'utf8')) as Experiment);
  const runner = methodRunner(experiment.method);
  if (!runner.evaluate) throw new Error(`method '${experiment.method}' has no evaluation`);
  const compute = await ensureBackend();
  return runner.evaluate(runDir, experiment, {
    experiment,
    runDir,
    runId: path.basename(runDir),
    compute,
    signal: new AbortController().signal,
    metrics: () => undefined,
    progress: () => undefined,
    log: () => undefined,
  });
}
