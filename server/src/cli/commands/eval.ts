/** `medstudio eval <run-dir> <experiment>`: a finished run's model on the test split of an experiment's data. */
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import { loadExperiment } from '../../experiment/load';
import { methodRunner } from '../../methods';
import { openRun } from '../../runs/runDir';
import { UsageError, type CliCommand } from '../types';
import { detectionLine, testSummary } from './train';

export const evaluate: CliCommand = {
  name: 'eval',
  summary: "evaluate a finished run's model on an experiment's test split",
  usage: 'medstudio eval <run-dir> <experiment> [--json]',
  async run({ positionals }, io) {
    const [runDir, experiment] = positionals;
    if (!runDir || !experiment) throw new UsageError('name a run folder and an experiment file');
    const run = await openRun(runDir);
    const exp = await loadExperiment(path.resolve(experiment));
    const runner = methodRunner(run.info.method);
    if (!runner.evaluate) throw new Error(`method '${run.info.method}' has no evaluation`);
    const compute = await ensureBackend();
    const m = await runner.evaluate(run.dir, exp, {
      experiment: exp,
      runDir: run.dir,
      runId: run.info.runId,
      compute,
      signal: new AbortController().signal,
      metrics: () => undefined,
      progress: () => undefined,
      log: (l) => io.err(l),
    });
    const det = detectionLine(m);
    if (!io.json && det) io.out(`test (${path.basename(exp.file)}): ${det}`);
    else if (!io.json && m.extra?.meanDice !== undefined) {
      io.out(`test (${path.basename(exp.file)}): Dice ${m.extra.meanDice.toFixed(3)}, HD95 ${m.extra.meanHD95?.toFixed(1)}`);
      for (const [k, v] of Object.entries(m.extra)) if (/^(dice|hd95)_/.test(k)) io.out(`  ${k.padEnd(24)} ${v.toFixed(3)}`);
    } else if (!io.json) {
      io.out(`test (${path.basename(exp.file)}): accuracy ${m.accuracy?.toFixed(3)}, balanced accuracy ${m.balancedAccuracy?.toFixed(3)}, mean class error ${m.meanClassError?.toFixed(3)}, macro AUC ${m.auc?.toFixed(3)}`);
      for (const c of m.classes ?? []) io.out(`  ${c.padEnd(14)} recall ${m.recall?.[c]?.toFixed(3)}  precision ${m.precision?.[c]?.toFixed(3)}`);
    }
    return testSummary(m, run.dir);
  },
};
