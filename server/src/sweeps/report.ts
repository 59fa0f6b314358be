/** A sweep's report.html in its folder: the trial table (best marked) and the trials compared. */
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import type { SweepTable } from '../protocol';
import { compareRuns } from '../runs/compare';
import { comparisonSections, sweepTableSection } from '../runs/report/compare';
import { page } from '../runs/report/html';

export async function writeSweepReport(t: SweepTable): Promise<string> {
  const runDirs = t.rows.flatMap((r) => (r.runDir ? [r.runDir] : []));
  const sections = [sweepTableSection(t), ...(runDirs.length >= 2 ? comparisonSections(await compareRuns(runDirs)) : [])];
  const file = path.join(t.dir, 'report.html');
  await writeFileAtomic(file, page(`Sweep ${t.id}: ${t.name}`, sections));
  return file;
}
