/**
 * The runs a workspace holds, for every picker in the editor (Explain, suspect review,
 * segmentation suggestions): the job list's run folders plus every `.medstudio/runs/<id>/` found
 * under the workspace folders. Runs land next to the nearest `.git`/`package.json`, or next to
 * the experiment when there is none, so an experiment folder's own `.medstudio/runs/` counts too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunHolds, RunSummary } from '../protocol';
import { predictorOf } from '../predict/predictor';
import { RUN_FILES, type RunInfo } from './runDir';
import { withLiveState } from './runLock';

/** How deep below a workspace folder experiment folders are looked for. */
const MAX_DEPTH = 6;
/** Folders never searched: dependencies, VCS data, build outputs. */
const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', 'build', '__pycache__', '.venv', 'venv']);

/** Every `.medstudio/runs` folder under `root` (depth-limited, skipping dependency and hidden folders). */
function runsFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name === '.medstudio') {
        const runs = path.join(dir, e.name, 'runs');
        if (fs.existsSync(runs)) out.push(runs);
        continue;
      }
      if (depth < MAX_DEPTH && !e.name.startsWith('.') && !SKIP.has(e.name)) walk(path.join(dir, e.name), depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

function savedAt(file: string): string | undefined {
  try {
    return fs.statSync(file).mtime.toISOString();
  } catch {
    return undefined;
  }
}

/** One run folder's summary, or undefined when it is not a run (no readable run.json). */
export function summariseRun(dir: string): RunSummary | undefined {
  let info: RunInfo;
  try {
    info = withLiveState(dir, JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.info), 'utf8')) as RunInfo);
  } catch {
    return undefined;
  }
  const cleaning = path.join(dir, 'cleaning');
  const suspectReports = (fs.existsSync(cleaning) ? fs.readdirSync(cleaning) : [])
    .filter((n) => n.endsWith('.suspects.json'))
    .map((n) => ({ file: path.join(cleaning, n), savedAt: savedAt(path.join(cleaning, n)) ?? '' }))
    .sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  const modelSavedAt = savedAt(path.join(dir, RUN_FILES.model, 'model.json'));
  const segmentationModelSavedAt = savedAt(path.join(dir, 'segmentation-model', 'model.json'));
  const predictor = predictorOf(dir);
  return {
    runId: String(info.runId || path.basename(dir)),
    runDir: dir,
    experimentPath: String(info.experimentPath ?? ''),
    method: String(info.method ?? ''),
    state: info.state,
    createdAt: String(info.createdAt ?? ''),
    epoch: Number(info.epoch) || 0,
    epochs: Number(info.epochs) || 0,
    ...(modelSavedAt ? { modelSavedAt } : {}),
    ...(segmentationModelSavedAt ? { segmentationModelSavedAt } : {}),
    ...(typeof predictor === 'string' ? { predictor } : {}),
    suspectReports,
  };
}

const holdsTest: Record<RunHolds, (r: RunSummary) => boolean> = {
  model: (r) => r.modelSavedAt !== undefined,
  segmentationModel: (r) => r.segmentationModelSavedAt !== undefined,
  suspects: (r) => r.suspectReports.length > 0,
  detector: (r) => r.method === 'detect' && r.modelSavedAt !== undefined,
  predictor: (r) => r.predictor !== undefined,
};

/** The newest output a picker cares about (models, cleaning reports); the run's start when it has none. */
const newest = (r: RunSummary): string => [r.modelSavedAt, r.segmentationModelSavedAt, r.suspectReports[0]?.savedAt].filter(Boolean).sort().at(-1) ?? r.createdAt;

/**
 * The runs under `roots` and in `known` (run folders the job list holds; those outside the
 * roots are left out, as the server reads nothing there), each once, newest first.
 */
export function listRuns(roots: readonly string[], known: readonly string[], holds?: RunHolds): RunSummary[] {
  const inside = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  const dirs = new Set<string>();
  for (const d of known) {
    const abs = path.resolve(d);
    if (inside(abs)) dirs.add(abs);
  }
  for (const root of roots) {
    for (const runs of runsFolders(root)) {
      for (const id of fs.readdirSync(runs)) dirs.add(path.join(runs, id));
    }
  }
  const seen = new Set<string>();
  const out: RunSummary[] = [];
  for (const d of dirs) {
    let real: string;
    try {
      real = fs.realpathSync(d);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const s = summariseRun(d);
    if (s && (!holds || holdsTest[holds](s))) out.push(s);
  }
  return out.sort((a, b) => newest(b).localeCompare(newest(a)));
}
