/**
 * Which run? The server lists the workspace's runs (ListRunsRequest: the job list and every
 * `.medstudio/runs/` folder, including an experiment folder's own); the extension never scans
 * run folders itself.
 */
import * as vscode from 'vscode';
import { ListRunsRequest, type RunHolds, type RunSummary } from '../../../server/src/protocol';
import type { ServerClient } from '../serverClient';

/** The runs holding `holds`, newest first. */
export async function runsHolding(server: ServerClient, holds: RunHolds): Promise<RunSummary[]> {
  return (await server.request(ListRunsRequest, { holds })).runs;
}

const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '');

/** A quick pick of runs (none offered when there is only one, unless `alwaysAsk`). */
export async function pickRun(runs: readonly RunSummary[], opts: { title: string; saved: (r: RunSummary) => string | undefined; alwaysAsk?: boolean }): Promise<RunSummary | undefined> {
  if (runs.length === 1 && !opts.alwaysAsk) return runs[0];
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.runId,
      description: vscode.workspace.asRelativePath(r.runDir),
      detail: `${r.method ? `${r.method} · ` : ''}${r.state} · saved ${when(opts.saved(r))}`,
      run: r,
    })),
    { title: opts.title, placeHolder: 'Pick a run', matchOnDescription: true },
  );
  return pick?.run;
}
