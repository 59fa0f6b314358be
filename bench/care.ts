/**
 * `npm run bench -- care [--json] [--seeds 3] [--epochs N]`: the cross-entropy baseline and CARE
 * (saliency boxes) from the demo's experiment files, trained with several seeds on the
 * skin-lesion sample; reports mean ± standard deviation over seeds of rare-class recall (mean
 * over the rare classes), each rare class's recall, balanced accuracy and mean class error rate,
 * so "CARE improves rare-class recall" is measured, not assumed. Runs go to .medstudio/bench-runs.
 */
import * as path from 'node:path';
import { ensureBackend } from '../server/src/engine/backend';
import { loadExperiment } from '../server/src/experiment/load';
import type { EvalMetrics } from '../server/src/protocol';
import { runExperiment } from '../server/src/runs/runner';
import type { Bench } from './run';

const ROOT = path.join(__dirname, '..');
const EXPERIMENTS = { ce: 'skin-baseline.medstudio.yaml', care: 'skin-care.medstudio.yaml' } as const;

function arg(args: string[], name: string): number | undefined {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

function stats(xs: number[]): { mean: number; sd: number; n: number; values: number[] } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean: round(mean), sd: round(sd), n, values: xs.map(round) };
}
const round = (v: number) => Math.round(v * 1e4) / 1e4;

const bench: Bench = async (io) => {
  const seeds = arg(io.args, 'seeds') ?? 3;
  const epochs = arg(io.args, 'epochs');
  const status = await ensureBackend();
  io.log(`backend: ${status.backend} (${status.device}); ${seeds} seeds${epochs ? `, ${epochs} epochs` : ''}`);
  const results: Record<keyof typeof EXPERIMENTS, EvalMetrics[]> = { ce: [], care: [] };
  const rare = (await loadExperiment(path.join(ROOT, 'samples', 'experiments', EXPERIMENTS.care))).data.rare;
  const t0 = Date.now();
  for (let seed = 1; seed <= seeds; seed++) {
    for (const key of ['ce', 'care'] as const) {
      const out = await runExperiment(path.join(ROOT, 'samples', 'experiments', EXPERIMENTS[key]), {
        outDir: path.join(ROOT, '.medstudio', 'bench-runs'),
        adjust: (e) => ({
          ...e,
          train: { ...e.train, seed, ...(epochs ? { epochs } : {}) },
          ...(epochs && e.care.stage1Epochs !== undefined ? { care: { ...e.care, stage1Epochs: Math.ceil(epochs / 2) } } : {}),
        }),
      });
      const m = out.result?.test;
      if (!m) throw new Error(`${EXPERIMENTS[key]} seed ${seed} did not finish (${out.info.state})`);
      results[key].push(m);
      const rr = rare.length ? rare.map((c) => `${c} ${m.recall?.[c]?.toFixed(3)}`).join(', ') : '';
      io.log(`seed ${seed} ${key.padEnd(4)}: balanced accuracy ${m.balancedAccuracy?.toFixed(3)}, mean class error ${m.meanClassError?.toFixed(3)}${rr ? `, rare recall ${rr}` : ''} (${out.info.runDir})`);
    }
  }
  const summary = (ms: EvalMetrics[]) => ({
    rareRecall: stats(ms.map((m) => rare.reduce((a, c) => a + (m.recall?.[c] ?? 0), 0) / rare.length)),
    perRareClass: Object.fromEntries(rare.map((c) => [c, stats(ms.map((m) => m.recall?.[c] ?? 0))])),
    balancedAccuracy: stats(ms.map((m) => m.balancedAccuracy ?? NaN)),
    meanClassError: stats(ms.map((m) => m.meanClassError ?? NaN)),
  });
  const ce = summary(results.ce);
  const care = summary(results.care);
  const pm = (s: { mean: number; sd: number }) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;
  io.log('');
  io.log(`test split, ${seeds} seeds, mean ± sd (${status.backend}):`);
  io.log(`                        CE               CARE`);
  io.log(`rare-class recall       ${pm(ce.rareRecall)}    ${pm(care.rareRecall)}`);
  for (const c of rare) io.log(`  recall ${c.padEnd(14)} ${pm(ce.perRareClass[c]!)}    ${pm(care.perRareClass[c]!)}`);
  io.log(`balanced accuracy       ${pm(ce.balancedAccuracy)}    ${pm(care.balancedAccuracy)}`);
  io.log(`mean class error rate   ${pm(ce.meanClassError)}    ${pm(care.meanClassError)}`);
  return { backend: status.backend, device: status.device, seeds, epochs: epochs ?? 'as in the experiment files', rareClasses: rare, ce, care, seconds: Math.round((Date.now() - t0) / 1000) };
};

export default bench;
