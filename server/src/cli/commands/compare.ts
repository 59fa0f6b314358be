/**
 * `medstudio compare <run-dir> <run-dir>... [--html FILE] [--json]`: final metrics side by side,
 * the settings that differ and, with --html, a self-contained report with the curves overlaid.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../../data/atomicWrite';
import { METRIC_KEYS } from '../../protocol';
import { compareRuns } from '../../runs/compare';
import { comparisonSections } from '../../runs/report/compare';
import { page } from '../../runs/report/html';
import { UsageError, type CliCommand } from '../types';

const f3 = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export const compare: CliCommand = {
  name: 'compare',
  summary: 'compare runs: final metrics side by side, settings that differ, curves overlaid (--html)',
  usage: 'medstudio compare <run-dir> <run-dir>... [--html FILE] [--json]',
  options: { html: { type: 'string' } },
  async run({ positionals, values }, io) {
    if (positionals.length < 2) throw new UsageError('name at least two run folders');
    const c = await compareRuns(positionals.map((p) => path.resolve(p)));
    const ids = c.runs.map((r) => r.runId);
    if (!io.json) {
      io.out('final metrics');
      const metricRows = METRIC_KEYS.filter((k) => c.runs.some((r) => r.final.values[k] !== undefined)).map((k) => [k, ...c.runs.map((r) => f3(r.final.values[k]))]);
      for (const l of table([['', ...ids], ['from', ...c.runs.map((r) => (r.final.split ? `${r.final.split}@${r.final.epoch}` : 'none'))], ...metricRows])) io.out('  ' + l);
      io.out('');
      if (c.differences.length) {
        io.out('settings that differ');
        for (const l of table([['', ...ids], ...c.differences.map((d) => [d.key, ...d.values.map((v) => v ?? '(unset)')])])) io.out('  ' + l);
      } else io.out('settings: identical');
    }
    if (values.html) {
      const file = path.resolve(values.html as string);
      await writeFileAtomic(file, page(`Comparison of ${ids.join(', ')}`, comparisonSections(c)));
      io.err(`report: ${file}`);
    }
    return c;
  },
};
