/**
 * Run Sweep, Run Sweep on Slurm, Submit Run to Slurm, Cancel Sweep, Compare Runs: palette entry
 * points to the server's sweeps feature. On a cluster login node (VS Code Remote-SSH) the server
 * runs there, next to sbatch and the shared filesystem, so the Slurm commands work unchanged.
 */
import * as vscode from 'vscode';
import { CancelSweepRequest, ListSweepsRequest, StartSweepRequest, type SweepTable } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { pickExperiment } from '../jobs/pickers';
import { trainingStatus } from '../panels/trainingStatusView';
import { requireTrust } from './jobs';

/** Accepts runDirs given by a caller (tests, other commands), else asks which runs. */
async function pickRuns(svc: ExtensionServices, arg: unknown): Promise<string[] | undefined> {
  if (Array.isArray(arg) && arg.every((a) => typeof a === 'string')) return arg as string[];
  const runs = (await svc.jobs.refresh()).filter((j) => j.info.runDir && j.info.action === 'train');
  const picks = await vscode.window.showQuickPick(
    runs.map((j) => ({ label: j.info.runId || j.info.id, description: `${j.info.state} · ${j.info.method}`, runDir: j.info.runDir })),
    { canPickMany: true, placeHolder: 'Which runs to compare? (two or more)' },
  );
  if (!picks) return undefined;
  if (picks.length < 2) {
    void vscode.window.showWarningMessage('MedStudio: pick at least two runs to compare.');
    return undefined;
  }
  return picks.map((p) => p.runDir);
}

async function pickSweep(svc: ExtensionServices, arg: unknown): Promise<SweepTable | undefined> {
  const { sweeps } = await svc.server.request(ListSweepsRequest, undefined);
  if (typeof arg === 'string') return sweeps.find((s) => s.dir === arg || s.id === arg);
  const live = sweeps.filter((s) => s.rows.some((r) => ['running', 'queued', 'pending', 'not started'].includes(r.state)));
  if (!live.length) {
    void vscode.window.showInformationMessage('MedStudio: no sweep is running.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(live.map((s) => ({ label: s.id, description: `${s.name}${s.slurmJobId ? ` · Slurm ${s.slurmJobId}` : ''}`, s })), { placeHolder: 'Cancel which sweep?' });
  return pick?.s;
}

export function registerSweepCommands(svc: ExtensionServices): vscode.Disposable[] {
  const start = (slurm: boolean, single: boolean) => async (arg?: unknown) => {
    if (!requireTrust(slurm ? 'submit jobs' : 'train')) return undefined;
    const uri = await pickExperiment(arg);
    if (!uri) return undefined;
    await vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.save();
    try {
      const t = await svc.server.request(StartSweepRequest, { experimentPath: uri.fsPath, slurm, single });
      void vscode.window.showInformationMessage(`MedStudio: ${single ? 'run' : `sweep of ${t.rows.length} trials`} ${slurm ? `submitted to Slurm (job ${t.slurmJobId})` : 'started'}; follow it in the Training panel.`);
      void vscode.commands.executeCommand(COMMANDS.showTrainingStatus);
      return t;
    } catch (e) {
      void vscode.window.showErrorMessage(`MedStudio: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  return [
    vscode.commands.registerCommand(COMMANDS.runSweep, start(false, false)),
    vscode.commands.registerCommand(COMMANDS.runSweepSlurm, start(true, false)),
    vscode.commands.registerCommand(COMMANDS.submitSlurm, start(true, true)),
    vscode.commands.registerCommand(COMMANDS.cancelSweep, async (arg?: unknown) => {
      const s = await pickSweep(svc, arg);
      return s ? svc.server.request(CancelSweepRequest, { sweepDir: s.dir }) : undefined;
    }),
    vscode.commands.registerCommand(COMMANDS.compareRuns, async (arg?: unknown) => {
      const runDirs = await pickRuns(svc, arg);
      if (!runDirs) return undefined;
      await trainingStatus.view?.showComparison(runDirs);
      return runDirs;
    }),
  ];
}
