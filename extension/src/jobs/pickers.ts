/** Quick picks for the job commands: which experiment, which run, which job. */
import * as vscode from 'vscode';
import type { JobInfo } from '../../../server/src/protocol';
import type { JobsModel } from './jobsModel';

/** Accepts a Uri, a uri string (CodeLens arguments) or a path. */
export function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return /^[a-z][\w+.-]*:/i.test(arg) && !/^[a-z]:\\/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

export async function pickExperiment(arg: unknown): Promise<vscode.Uri | undefined> {
  const given = toUri(arg);
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && /\.medstudio\.ya?ml$/.test(active.path)) return active;
  const files = await vscode.workspace.findFiles('**/*.medstudio.yaml', '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showWarningMessage('No *.medstudio.yaml experiment in this workspace. Create one with "MedStudio: New Experiment from Template".');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
    { placeHolder: 'Which experiment?' },
  );
  return pick?.uri;
}

export async function pickJob(model: JobsModel, arg: unknown, filter: (j: JobInfo) => boolean, placeHolder: string): Promise<JobInfo | undefined> {
  const jobs = (await model.refresh()).map((v) => v.info);
  if (typeof arg === 'string') {
    const byId = jobs.find((j) => j.id === arg || j.runDir === arg || j.runId === arg);
    if (byId) return byId;
  }
  const candidates = jobs.filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`MedStudio: no run to ${placeHolder.toLowerCase()}.`);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const pick = await vscode.window.showQuickPick(
    candidates.map((j) => ({ label: j.runId || j.id, description: `${j.method} · ${j.state}`, detail: vscode.workspace.asRelativePath(j.experimentPath), job: j })),
    { placeHolder },
  );
  return pick?.job;
}
