/**
 * `medstudio demo` (`npm run demo`): the README's main job. On the bundled shortcut-lesion sample
 * (samples/README.md: the malignant signal is inside the lesion box, a green ink mark outside it
 * marks malignant images in training only) it trains a cross-entropy baseline and CARE with the
 * true lesion boxes (same network, schedule, class-balanced sampling) for a few seeds, prints
 * per-class recall, balanced accuracy and macro AUC as mean ± sd with the paired difference,
 * says plainly whether CARE beat CE there, and writes the HTML reports (Grad-CAM: where each
 * model looks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import type { EvalMetrics } from '../../protocol';
import { runHeatInBoxes } from '../../methods/care/heatInBoxes';
import { runExperiment, type RunOutcome } from '../../runs/runner';
import type { CliCommand, CliIo } from '../types';
import { cliEventPrinter, stopOnSigint, testSummary } from './train';

const EXPERIMENTS = ['shortcut-ce.medstudio.yaml', 'shortcut-care.medstudio.yaml'] as const;

/** samples/experiments of this checkout: from the working directory up, else from the CLI's own location. */
function findExperimentsDir(): string {
  for (const start of [process.cwd(), __dirname]) {
    for (let d = path.resolve(start); ; d = path.dirname(d)) {
      const dir = path.join(d, 'samples', 'experiments');
      if (fs.existsSync(path.join(dir, EXPERIMENTS[0]))) return dir;
      if (path.dirname(d) === d) break;
    }
  }
  throw new Error(`samples/experiments/${EXPERIMENTS[0]} not found: run the demo from the MedStudio repository`);
}

/** One seed's test metrics of both runs. */
export interface SeedPair {
  seed: number;
  ce: EvalMetrics;
  care: EvalMetrics;
  runDirs?: { ce: string; care: string };
}

export interface Stat {
  mean: number;
  /** Sample sd (n - 1); 0 for one value. */
  sd: number;
}

export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { mean, sd: n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0 };
}

const pm = (s: Stat) => (Number.isNaN(s.mean) ? '–' : `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`);
const signed = (s: Stat) => (Number.isNaN(s.mean) ? '' : `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`);
const val = (v: number | undefined) => v ?? NaN;

type Row = [name: string, get: (m: EvalMetrics) => number];

function rows(classes: readonly string[], rare: readonly string[]): Row[] {
  return [
    ...classes.map((c): Row => [`recall ${c}${rare.includes(c) ? ' (rare)' : ''}`, (m) => val(m.recall?.[c])]),
    ['balanced accuracy', (m) => val(m.balancedAccuracy)],
    ['mean class error rate', (m) => val(m.meanClassError)],
    ['macro AUC', (m) => val(m.auc)],
    ['accuracy', (m) => val(m.accuracy)],
    [`Grad-CAM heat in the box (${rare.join(', ')})`, (m) => val(m.extra?.heatInBox)],
  ];
}

/** The comparison over seeds, one string per line: mean ± sd of each run and of the per-seed difference. */
export function comparisonTable(pairs: readonly SeedPair[], rare: readonly string[]): string[] {
  const table = rows(pairs[0]?.ce.classes ?? [], rare).map(([n, get]) => [n, pm(stat(pairs.map((p) => get(p.ce)))), pm(stat(pairs.map((p) => get(p.care)))), signed(stat(pairs.map((p) => get(p.care) - get(p.ce))))]);
  const head = ['', 'CE baseline', 'CARE', 'CARE - CE (paired)'];
  const w = head.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)) + 2);
  return [head, ...table].map((r) => r.map((c, k) => (k === 0 ? c.padEnd(w[0]!) : c.padStart(w[k]!))).join(''));
}

/**
 * One plain sentence on whether CARE beat CE on the rare classes here: the mean over seeds of the
 * paired difference in mean rare-class recall, called an effect only when it is at least 0.05 and
 * larger than its sd over seeds (with one seed: at least 0.05).
 */
export function verdict(pairs: readonly SeedPair[], rare: readonly string[]): string {
  const rareRecall = (m: EvalMetrics) => rare.reduce((a, c) => a + val(m.recall?.[c]), 0) / rare.length;
  if (!rare.length || !pairs.length) return 'no rare classes to compare.';
  const d = stat(pairs.map((p) => rareRecall(p.care) - rareRecall(p.ce)));
  const [ce, care] = [stat(pairs.map((p) => rareRecall(p.ce))), stat(pairs.map((p) => rareRecall(p.care)))];
  if (Number.isNaN(d.mean)) return 'no rare-class recall to compare.';
  const n = pairs.length;
  const seen = `mean rare-class recall ${care.mean.toFixed(3)} with CARE vs ${ce.mean.toFixed(3)} with CE, paired difference ${signed(d)} over ${n} seed${n > 1 ? 's' : ''}`;
  const clear = Math.abs(d.mean) >= 0.05 && (n === 1 || Math.abs(d.mean) > d.sd);
  if (clear && d.mean > 0) return `CARE beat CE on the rare classes of this sample (${seen}); see the README's real-data table for whether that holds on real images.`;
  if (clear) return `CARE did worse than CE on the rare classes of this sample (${seen}).`;
  return `CARE did not beat CE on the rare classes of this sample (${seen}): no effect shown here.`;
}

async function runOne(file: string, label: string, io: CliIo, signal: AbortSignal, seed: number, outDir?: string): Promise<RunOutcome> {
  const printer = cliEventPrinter(io, label);
  const adjust = (e: RunOutcome['experiment']) => ({ ...e, train: { ...e.train, seed } });
  const out = await runExperiment(file, { signal, adjust, onEvent: printer.onEvent, ...(outDir ? { outDir } : {}), onRunCreated: (i) => io.err(`${label}run: ${i.runDir}`) });
  printer.done();
  return out;
}

export const demo: CliCommand = {
  name: 'demo',
  summary: 'train a cross-entropy baseline and CARE on the shortcut-lesion sample over a few seeds and compare',
  usage: 'medstudio demo [--seeds N] [--out DIR] [--json]',
  options: { out: { type: 'string' }, seeds: { type: 'string' } },
  async run({ values }, io) {
    const dir = findExperimentsDir();
    const data = path.join(dir, '..', 'shortcut-lesions', 'labels.csv');
    if (!fs.existsSync(data)) throw new Error(`${data} is missing: run 'npm run samples' first`);
    const seeds = values.seeds === undefined ? 3 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 20) throw new Error(`--seeds must be a whole number from 1 to 20, got '${String(values.seeds)}'`);
    const status = await ensureBackend();
    io.err(`backend: ${status.backend} (${status.device})`);
    const t0 = Date.now();
    const stop = stopOnSigint(io);
    try {
      const outDir = values.out as string | undefined;
      const pairs: SeedPair[] = [];
      const reports: string[] = [];
      let rare: string[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const runs: RunOutcome[] = [];
        for (const [k, label] of [[0, 'CE'], [1, 'CARE']] as const) {
          const out = await runOne(path.join(dir, EXPERIMENTS[k]), `[${label} seed ${seed}] `.padEnd(16), io, stop.signal, seed, outDir);
          if (out.info.state !== 'finished') return { state: out.info.state, runDir: out.info.runDir };
          runs.push(out);
          if (seed === 1 && out.info.reportPath) reports.push(out.info.reportPath);
        }
        rare = runs[1]!.experiment.data.rare;
        // Where each model looks on the rare class's test images, against the true lesion boxes.
        const [ce, care] = await Promise.all(
          runs.map(async (r) => {
            const h = await runHeatInBoxes(r.info.runDir, r.experiment, rare);
            return { ...r.result!.test!, extra: { ...r.result!.test!.extra, heatInBox: h.share, boxArea: h.area } };
          }),
        );
        pairs.push({ seed, ce: ce!, care: care!, runDirs: { ce: runs[0]!.info.runDir, care: runs[1]!.info.runDir } });
      }
      const says = verdict(pairs, rare);
      if (!io.json) {
        io.out('');
        io.out(`Shortcut-lesion sample, test split, seeds 1..${seeds}: mean ± sd (${status.backend}, ${((Date.now() - t0) / 1000).toFixed(0)} s in all):`);
        for (const l of comparisonTable(pairs, rare)) io.out(l);
        io.out(`(Grad-CAM heat in the box: the share of each model's heat on the ${rare.join(', ')} test images inside the true lesion box; the boxes cover ${(100 * stat(pairs.map((p) => val(p.ce.extra?.boxArea))).mean).toFixed(0)}% of those images, what uniform heat would score.)`);
        io.out('');
        io.out(says);
        io.out('');
        io.out(`reports (seed 1; Grad-CAM shows where each model looks): ${reports.join('\n' + ' '.repeat(55))}`);
      }
      return { backend: status.backend, seeds, runs: pairs.map((p) => ({ seed: p.seed, baseline: testSummary(p.ce, p.runDirs!.ce), care: testSummary(p.care, p.runDirs!.care) })), verdict: says, reports };
    } finally {
      stop.dispose();
    }
  },
};
