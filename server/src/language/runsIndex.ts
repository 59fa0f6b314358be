/**
 * Finds the runs of an experiment file on disk (.medstudio/runs/<id>/run.json), newest first,
 * for CodeLens text ("last run: finished, best balancedAccuracy 0.81"). Reads leniently: a run
 * written by an older version or half-written is skipped, never an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../protocol';
import { withLiveState } from '../runs/runLock';

export function runsRoots(experimentFile: string, workspaceRoots: string[]): string[] {
  const roots = new Set<string>();
  for (const w of workspaceRoots) roots.add(path.join(w, '.medstudio', 'runs'));
  // Also walk up from the experiment (CLI runs default to the nearest project folder).
  let d = path.dirname(experimentFile);
  for (let i = 0; i < 6; i++) {
    roots.add(path.join(d, '.medstudio', 'runs'));
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return [...roots].filter((r) => fs.existsSync(r));
}

export function runsOf(experimentFile: string, workspaceRoots: string[]): JobInfo[] {
  const target = path.resolve(experimentFile);
  const out: JobInfo[] = [];
  for (const root of runsRoots(target, workspaceRoots)) {
    for (const id of fs.readdirSync(root)) {
      try {
        const info = JSON.parse(fs.readFileSync(path.join(root, id, 'run.json'), 'utf8')) as Partial<JobInfo> & { experiment?: { file?: string } };
        const exp = info.experimentPath ?? info.experiment?.file;
        if (exp && path.resolve(exp) === target) out.push(withLiveState(path.join(root, id), { ...(info as JobInfo), runDir: info.runDir ?? path.join(root, id), runId: info.runId ?? id }));
      } catch {
        /* not a run, or being written */
      }
    }
  }
  return out.sort((a, b) => (b.createdAt ?? b.runId).localeCompare(a.createdAt ?? a.runId));
}
