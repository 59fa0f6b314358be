/**
 * A sweep's folder, `<workspace>/.medstudio/sweeps/<sweep-id>/`: `sweep.json` (the trials and
 * where each one's runs go) and one folder per trial holding its experiment file (the base file
 * with the swept keys set, paths made absolute, no sweep block) and its `runs/`. Self-contained,
 * so the same folder works on a cluster's shared filesystem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { writeFileAtomic } from '../data/atomicWrite';
import { loadExperiment } from '../experiment/load';
import { experimentSchema, type SchemaNode } from '../experiment/schema';
import type { Experiment, SweepBlock } from '../experiment/types';
import { newRunId } from '../runs/runId';
import { findWorkspaceRoot } from '../runs/workspace';
import { expandSweep, type Trial } from './expand';

export const SWEEP_FILE = 'sweep.json';

export interface SweepTrialRecord extends Trial {
  /** The trial's own experiment file. */
  experimentFile: string;
  /** Where its run folders go (output.dir of the trial file). */
  runsDir: string;
}

export interface SlurmSubmission {
  /** The array job's id from `sbatch --parsable`; task i runs trials[i]. */
  jobId: string;
  cluster?: string;
  script: string;
  logsDir: string;
  submittedAt: string;
}

export interface SweepRecord {
  id: string;
  dir: string;
  name: string;
  experimentPath: string;
  /** The base experiment's method (a trial may sweep over it); absent in sweeps written before it was kept. */
  method?: string;
  createdAt: string;
  strategy: SweepBlock['strategy'];
  metric: SweepBlock['metric'];
  concurrency: number;
  trials: SweepTrialRecord[];
  slurm?: SlurmSubmission;
}

/** Key paths of every path-valued setting (they are made absolute in trial files). */
function pathKeys(node: SchemaNode, prefix: string[] = []): string[][] {
  if (node.kind === 'object') return Object.entries(node.keys).flatMap(([k, c]) => pathKeys(c, [...prefix, k]));
  return node.kind === 'string' && node.path ? [prefix] : [];
}

/** The trial's experiment file text: the base file (comments kept) with the trial's keys set. */
export function trialYaml(baseText: string, baseFile: string, trial: Trial, runsDir: string, name: string): string {
  const doc = parseDocument(baseText);
  doc.delete('sweep');
  doc.delete('cluster');
  const dir = path.dirname(path.resolve(baseFile));
  for (const key of pathKeys(experimentSchema)) {
    const v = doc.getIn(key);
    if (typeof v === 'string') doc.setIn(key, path.resolve(dir, v));
  }
  for (const [k, v] of Object.entries(trial.params)) doc.setIn(k === 'method' ? ['method'] : k.split('.'), v);
  if (trial.seed !== undefined) doc.setIn(['train', 'seed'], trial.seed);
  doc.setIn(['output', 'dir'], runsDir);
  doc.set('name', name);
  return `# Trial ${trial.id} of a MedStudio sweep over ${baseFile}; written by 'medstudio sweep'.\n${doc.toString()}`;
}

function sweepsDir(experimentFile: string, outDir?: string): string {
  return outDir ? path.resolve(outDir) : path.join(findWorkspaceRoot(experimentFile), '.medstudio', 'sweeps');
}

/**
 * Expands the experiment's sweep block into a new sweep folder; every trial file is validated.
 * `single`: one trial of the experiment as written, sweep block or not (`medstudio submit`).
 */
export async function createSweep(experiment: Experiment, opts: { outDir?: string; now?: Date; single?: boolean } = {}): Promise<SweepRecord> {
  const sweep = experiment.sweep;
  if (!sweep && !opts.single) throw new Error(`${experiment.file} has no sweep: block (add one with params to vary)`);
  const trials: Trial[] = sweep && !opts.single ? expandSweep(sweep) : [{ id: 't01', params: {} }];
  const root = sweepsDir(experiment.file, opts.outDir);
  const now = opts.now ?? new Date();
  let id = newRunId('sweep', now);
  while (fs.existsSync(path.join(root, id))) id = newRunId('sweep', now);
  const dir = path.join(root, id);
  const baseText = await fs.promises.readFile(experiment.file, 'utf8');
  const records: SweepTrialRecord[] = [];
  for (const t of trials) {
    const tdir = path.join(dir, t.id);
    const runsDir = path.join(tdir, 'runs');
    const experimentFile = path.join(tdir, `${t.id}.medstudio.yaml`);
    await writeFileAtomic(experimentFile, trialYaml(baseText, experiment.file, t, runsDir, `${experiment.name} [${t.id}]`));
    await loadExperiment(experimentFile); // a trial that would not train fails the sweep now, not at 3 am
    records.push({ ...t, experimentFile, runsDir });
  }
  const record: SweepRecord = {
    id,
    dir,
    name: experiment.name,
    experimentPath: experiment.file,
    method: experiment.method,
    createdAt: now.toISOString(),
    strategy: sweep?.strategy ?? 'grid',
    metric: sweep?.metric ?? 'balancedAccuracy',
    concurrency: sweep?.concurrency ?? 1,
    trials: records,
  };
  await writeSweep(record);
  return record;
}

export async function writeSweep(r: SweepRecord): Promise<void> {
  await writeFileAtomic(path.join(r.dir, SWEEP_FILE), JSON.stringify(r, null, 2) + '\n');
}

/** Opens a sweep folder (or its sweep.json); paths follow the folder if it moved. */
export async function openSweep(dirOrFile: string): Promise<SweepRecord> {
  const abs = path.resolve(dirOrFile);
  const file = abs.endsWith('.json') ? abs : path.join(abs, SWEEP_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    throw new Error(`${abs} is not a MedStudio sweep folder: ${SWEEP_FILE} is missing`);
  }
  return JSON.parse(text) as SweepRecord;
}

/** The trial's latest run folder (run ids sort by start time), if it has started. */
export function trialRunDir(t: SweepTrialRecord): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(t.runsDir).filter((n) => fs.existsSync(path.join(t.runsDir, n, 'run.json')));
  } catch {
    return undefined;
  }
  names.sort();
  const last = names[names.length - 1];
  return last ? path.join(t.runsDir, last) : undefined;
}

/** Sweep folders of a workspace, newest first. */
export function listSweeps(workspaceRoot: string): string[] {
  const root = path.join(workspaceRoot, '.medstudio', 'sweeps');
  try {
    return fs
      .readdirSync(root)
      .filter((n) => fs.existsSync(path.join(root, n, SWEEP_FILE)))
      .sort()
      .reverse()
      .map((n) => path.join(root, n));
  } catch {
    return [];
  }
}
