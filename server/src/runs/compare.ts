/**
 * Compares runs: their validation curves on shared axes, final metrics side by side, and the
 * resolved settings (experiment.json) that differ between them.
 */
import type { RunComparison } from '../protocol';
import { openRun, readMetrics } from './runDir';
import { finalMetrics, valCurves } from './summary';

/** Keys that differ between any two runs by construction, not by choice. */
const IGNORED = new Set(['file', 'name', 'output.dir']);

/** {train: {lr: 0.1}} -> {'train.lr': '0.1'}; lists stay whole (JSON). */
export function flattenSettings(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, c] of Object.entries(v)) flattenSettings(c, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== undefined && prefix) out[prefix] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

export function settingsDiff(settings: Record<string, string>[]): RunComparison['differences'] {
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))].filter((k) => !IGNORED.has(k)).sort();
  return keys.map((key) => ({ key, values: settings.map((s) => s[key]) })).filter((d) => new Set(d.values).size > 1);
}

export async function compareRuns(runDirs: readonly string[]): Promise<RunComparison> {
  if (runDirs.length < 2) throw new Error('compare needs at least two runs');
  const runs = await Promise.all(
    runDirs.map(async (dir) => {
      const run = await openRun(dir);
      const metrics = await readMetrics(run.dir);
      return {
        entry: {
          runDir: run.dir,
          runId: run.info.runId,
          name: run.experiment.name,
          method: run.info.method,
          state: run.info.state,
          final: finalMetrics(metrics),
          curves: valCurves(metrics),
        },
        settings: flattenSettings(run.experiment),
      };
    }),
  );
  return { runs: runs.map((r) => r.entry), differences: settingsDiff(runs.map((r) => r.settings)) };
}
