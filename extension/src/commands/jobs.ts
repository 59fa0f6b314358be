/**
 * Train, resume, cancel, evaluate, open report, show training status: the command palette and
 * CodeLens entry points to the server's job queue. No training until the workspace is trusted.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { CancelJobRequest, ResumeJobRequest, StartJobRequest, WorkspaceTrustedNotification, type JobInfo } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { compactJobText, type JobsModel } from '../jobs/jobsModel';
import { pickExperiment, pickJob } from '../jobs/pickers';
import { trackProgress } from '../jobs/trackProgress';

const RESUMABLE = new Set(['interrupted', 'cancelled', 'paused', 'failed']);

/** Refuses (and says why) in an untrusted workspace. */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`MedStudio does not ${action} in an untrusted workspace: training runs code on your data and writes files. Trust this folder first.`, 'Manage Workspace Trust').then((p) => {
    if (p) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

export function registerJobCommands(svc: ExtensionServices, model: JobsModel): vscode.Disposable[] {
  const { server, statusBar } = svc;
  const start = async (job: JobInfo) => {
    const ended = await trackProgress(server, model, job);
    if (ended.state === 'finished') {
      const open = ended.reportPath ? 'Open Report' : undefined;
      const pick = await vscode.window.showInformationMessage(`MedStudio: ${ended.runId || ended.id} finished.`, ...(open ? [open] : []));
      if (pick === 'Open Report') void vscode.commands.executeCommand(COMMANDS.openReport, ended.runDir);
    } else if (ended.state === 'failed') void vscode.window.showErrorMessage(`MedStudio: ${ended.runId || ended.id} failed: ${ended.error ?? 'unknown error'}`);
    return ended;
  };
  const subs: vscode.Disposable[] = [
    model.onEvent((e) => {
      const v = model.get(e.jobId);
      if (!v) return;
      if (v.info.state === 'running') statusBar.setJob(compactJobText(v));
      else if (e.kind === 'state') statusBar.setJob('');
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.ensureStarted().then((c) => c.sendNotification(WorkspaceTrustedNotification.method, {}))),
    vscode.commands.registerCommand(COMMANDS.train, async (arg?: unknown) => {
      if (!requireTrust('train')) return undefined;
      const uri = await pickExperiment(arg);
      if (!uri) return undefined;
      await vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.save();
      const job = await server.request(StartJobRequest, { experimentPath: uri.fsPath, action: 'train' });
      void vscode.commands.executeCommand(COMMANDS.showTrainingStatus, job.id);
      void start(job);
      return job;
    }),
    vscode.commands.registerCommand(COMMANDS.resume, async (arg?: unknown) => {
      if (!requireTrust('resume training')) return undefined;
      const job = await pickJob(model, arg, (j) => RESUMABLE.has(j.state) && !!j.runDir, 'Resume');
      if (!job) return undefined;
      const resumed = await server.request(ResumeJobRequest, { runDir: job.runDir });
      void start(resumed);
      return resumed;
    }),
    vscode.commands.registerCommand(COMMANDS.cancel, async (arg?: unknown) => {
      const job = await pickJob(model, arg, (j) => j.state === 'running' || j.state === 'queued', 'Cancel');
      return job ? server.request(CancelJobRequest, { jobId: job.id }) : undefined;
    }),
    vscode.commands.registerCommand(COMMANDS.evaluate, async (runArg?: unknown, expArg?: unknown) => {
      const job = await pickJob(model, runArg, (j) => j.state === 'finished' && j.action === 'train', 'Evaluate');
      if (!job) return undefined;
      const exp = typeof expArg === 'string' ? vscode.Uri.parse(expArg).fsPath : job.experimentPath;
      const started = await server.request(StartJobRequest, { experimentPath: exp, action: 'evaluate' });
      return start(started);
    }),
    vscode.commands.registerCommand(COMMANDS.openReport, async (arg?: unknown) => {
      const job = await pickJob(model, arg, (j) => !!j.reportPath, 'Open the report of');
      const runDir = job?.runDir ?? (typeof arg === 'string' ? arg : undefined);
      if (!runDir) return undefined;
      const report = job?.reportPath ? path.resolve(runDir, job.reportPath) : path.join(runDir, 'report.html');
      const html = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(report))).toString('utf8');
      // The report is self-contained (inline SVG, data URIs); shown without scripts.
      const panel = vscode.window.createWebviewPanel('medstudio.report', `Report: ${path.basename(runDir)}`, vscode.ViewColumn.Active, { enableScripts: false });
      panel.webview.html = html;
      return report;
    }),
  ];
  void model.refresh().then(
    (views) => {
      const interrupted = views.filter((v) => v.info.state === 'interrupted' && v.info.action === 'train');
      if (interrupted.length === 0) return;
      void vscode.window
        .showInformationMessage(`MedStudio: ${interrupted.length} run${interrupted.length > 1 ? 's were' : ' was'} interrupted when the server stopped.`, 'Resume')
        .then((p) => p && vscode.commands.executeCommand(COMMANDS.resume, interrupted[0]!.info.runDir));
    },
    () => undefined,
  );
  return subs;
}
