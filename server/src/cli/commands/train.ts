/**
 * `medstudio train <experiment> [--out DIR] [--resume RUN_DIR] [--json]`: trains an experiment
 * headless, with the engine the editor uses. A progress bar on a terminal, one JSON line per
 * epoch with --json, and a last line of test metrics. Ctrl+C stops after writing a checkpoint;
 * `--resume <run-dir>` continues it.
 */
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import type { BackendPreference, EvalMetrics, StepProgress } from '../../protocol';
import { runExperiment, type RunEvent, type RunOutcome } from '../../runs/runner';
import { UsageError, type CliCommand, type CliIo } from '../types';

/** The final line's shape (issue 5). */
export interface TestSummary {
  split: 'test';
  accuracy?: number;
  balancedAccuracy?: number;
  auc?: number;
  meanClassError?: number;
  recall?: Record<string, number>;
  precision?: Record<string, number>;
  /** Method-specific figures (a detector's AP and recall at fixed FPPI; segmentation's meanDice, meanHD95, dice_<class>, ...). */
  extra?: Record<string, number>;
  runDir: string;
}

export function testSummary(m: EvalMetrics | undefined, runDir: string): TestSummary {
  return {
    split: 'test',
    accuracy: m?.accuracy,
    balancedAccuracy: m?.balancedAccuracy,
    auc: m?.auc,
    meanClassError: m?.meanClassError,
    recall: m?.recall,
    precision: m?.precision,
    ...(m?.extra ? { extra: m.extra } : {}),
    runDir,
  };
}

const f3 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '  –  ' : v.toFixed(3));

function bar(p: StepProgress, width = 24): string {
  const done = Math.round((p.step / Math.max(1, p.steps)) * width);
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ${p.imagesPerSec.toFixed(1)} img/s eta ${Math.round(p.etaSeconds)}s`;
}

/** A detector's figures (methods/detect), or undefined for other methods' metrics. */
export function detectionLine(m: EvalMetrics): string | undefined {
  const x = m.extra;
  if (x?.ap50 === undefined) return undefined;
  return `AP@0.5 ${f3(x.ap50)}, AP@[.5:.95] ${f3(x.ap)}, recall ${f3(x.recall)}, recall at 0.5/1/2 false positives per image ${f3(x['recall@0.5fppi'])}/${f3(x['recall@1fppi'])}/${f3(x['recall@2fppi'])}`;
}

/** Segmentation runs (segment, segment2d) report Dice and HD95 instead of recall. */
const diceLine = (m: EvalMetrics) => `Dice ${f3(m.extra?.meanDice)}, HD95 ${f3(m.extra?.meanHD95)}`;

function epochLine(m: EvalMetrics): string {
  const det = detectionLine(m);
  if (det) return `epoch ${m.epoch} ${m.split}: ${det}`;
  if (m.extra?.meanDice !== undefined) return `epoch ${m.epoch} ${m.split}: ${diceLine(m)}, train loss ${f3(m.extra.trainLoss)}`;
  const rec = Object.entries(m.recall ?? {})
    .map(([c, r]) => `${c} ${f3(r)}`)
    .join(', ');
  return `epoch ${m.epoch} ${m.split}: loss ${f3(m.loss)} bal.acc ${f3(m.balancedAccuracy)} mean class error ${f3(m.meanClassError)} auc ${f3(m.auc)} | recall ${rec}`;
}

/** Streams a run's events to the terminal (bar on a TTY, lines otherwise, JSON lines with --json). */
export function cliEventPrinter(io: CliIo, label = ''): { onEvent: (e: RunEvent) => void; done: () => void } {
  let barShown = false;
  let lastBar = 0;
  const clearBar = () => {
    if (barShown) process.stdout.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    onEvent(e) {
      if (e.kind === 'progress' && io.tty) {
        const now = Date.now();
        if (now - lastBar < 100 && e.progress.step !== e.progress.steps) return;
        lastBar = now;
        process.stdout.write(`\r\x1b[2K${label}${bar(e.progress)}`);
        barShown = true;
      } else if (e.kind === 'metrics') {
        clearBar();
        if (io.json) {
          if (e.metrics.split !== 'test') io.out(JSON.stringify(e.metrics));
        } else io.out(label + epochLine(e.metrics));
      } else if (e.kind === 'log') {
        clearBar();
        io.err(label + e.message);
      }
    },
    done: clearBar,
  };
}

/** Aborts on Ctrl+C (the run checkpoints and stops); a second Ctrl+C exits at once. */
export function stopOnSigint(io: CliIo): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handler = () => {
    if (ac.signal.aborted) process.exit(130);
    io.err('\nstopping after a checkpoint (Ctrl+C again to quit now)...');
    ac.abort();
  };
  process.on('SIGINT', handler);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', handler) };
}

export function printSummary(io: CliIo, out: RunOutcome): void {
  const m = out.result?.test;
  if (!m) return;
  io.out('');
  const det = detectionLine(m);
  if (det) io.out(`test: ${det}`);
  else if (m.extra?.meanDice !== undefined) io.out(`test: ${diceLine(m)}`);
  else io.out(`test: accuracy ${f3(m.accuracy)}, balanced accuracy ${f3(m.balancedAccuracy)}, mean class error ${f3(m.meanClassError)}, macro AUC ${f3(m.auc)}`);
  if (m.recall) for (const c of m.classes ?? []) io.out(`  ${c.padEnd(14)} recall ${f3(m.recall?.[c])}  precision ${f3(m.precision?.[c])}`);
  if (out.info.reportPath) io.out(`report: ${out.info.reportPath}`);
  io.out(`run:    ${out.info.runDir}`);
}

export const train: CliCommand = {
  name: 'train',
  summary: 'train an experiment (*.medstudio.yaml); --resume continues a stopped run',
  usage: 'medstudio train <experiment> [--out DIR] [--resume RUN_DIR] [--backend auto|wasm|cpu|...] [--json]',
  options: { out: { type: 'string' }, resume: { type: 'string' }, backend: { type: 'string' } },
  async run({ positionals, values }, io) {
    const [experiment] = positionals;
    const resume = values.resume as string | undefined;
    if (!experiment && !resume) throw new UsageError('name an experiment file (or --resume a run folder)');
    if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
    const status = await ensureBackend({ backend: (values.backend as BackendPreference | undefined) ?? 'auto' });
    if (!io.json) io.err(`backend: ${status.backend} (${status.device})`);
    const printer = cliEventPrinter(io);
    const stop = stopOnSigint(io);
    try {
      const out = await runExperiment(experiment ? path.resolve(experiment) : undefined, {
        ...(values.out ? { outDir: values.out as string } : {}),
        ...(resume ? { resume } : {}),
        signal: stop.signal,
        onEvent: printer.onEvent,
        onRunCreated: (info) => io.err(`run: ${info.runDir}`),
      });
      printer.done();
      if (out.info.state === 'cancelled') {
        io.err(`stopped; continue with: medstudio train --resume ${out.info.runDir}`);
        return { state: 'cancelled', runDir: out.info.runDir };
      }
      if (!io.json) printSummary(io, out);
      return testSummary(out.result?.test, out.info.runDir);
    } finally {
      stop.dispose();
    }
  },
};
