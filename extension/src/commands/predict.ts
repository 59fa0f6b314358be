/**
 * "Run Model on…": a trained run's model on the image in the active tab (or a picked file or
 * folder). A segmentation run's label map opens as an overlay on the volume in the viewer; a
 * classification run's predictions.csv opens beside it. The server does the work; this command
 * picks, shows progress (cancellable) and shows the result. Every outcome is returned (tests).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PredictProgressNotification, PredictRequest, type PredictSummary } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { pickRun, runsHolding } from '../runs/pickRun';
import { activeImageUri, IMAGE_FILTERS, openInViewer } from './viewer';

export interface RunModelArgs {
  runDir?: string;
  input?: string;
}

export type RunModelOutcome = { ok: true; summary: PredictSummary; overlay?: string } | { ok: false; message: string };

let streams = 0;

async function pickInput(): Promise<vscode.Uri | undefined> {
  const active = activeImageUri();
  if (active) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    filters: IMAGE_FILTERS,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Run model on this',
    title: 'Which volume, image or folder should the model run on?',
  });
  return picked?.[0];
}

async function runModel(svc: ExtensionServices, args: RunModelArgs): Promise<RunModelOutcome> {
  const input = args.input ? vscode.Uri.file(args.input) : await pickInput();
  if (!input) return { ok: false, message: 'cancelled' };
  let runDir = args.runDir;
  if (!runDir) {
    const runs = await runsHolding(svc.server, 'predictor');
    if (!runs.length) {
      const message = 'No run can predict yet: "Run Model on…" needs a finished U-Net segmentation run (model.backbone: unet) or a classification run in this workspace. Train an experiment first.';
      void vscode.window.showWarningMessage(message);
      return { ok: false, message };
    }
    const picked = await pickRun(runs, { title: `Run which model on ${path.basename(input.fsPath)}?`, saved: (r) => r.modelSavedAt ?? r.createdAt });
    if (!picked) return { ok: false, message: 'cancelled' };
    runDir = picked.runDir;
  }
  const runId = path.basename(runDir);
  const streamId = `predict-${process.pid}-${++streams}`;
  let summary: PredictSummary;
  try {
    summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${runId} on ${path.basename(input.fsPath)}`, cancellable: true },
      async (progress, token) => {
        let shown = 0;
        const relay = svc.server.onNotification(PredictProgressNotification, (p) => {
          if (p.streamId !== streamId) return;
          const pct = (100 * (p.index + p.done / Math.max(1, p.total))) / p.count;
          progress.report({ increment: pct - shown, message: `${path.basename(p.input)}${p.count > 1 ? ` (${p.index + 1}/${p.count})` : ''}: ${p.done}/${p.total}` });
          shown = pct;
        });
        try {
          return await svc.server.request(PredictRequest, { runDir: runDir!, input: input.fsPath, streamId }, token);
        } finally {
          relay.dispose();
        }
      },
    );
  } catch (e) {
    const message = `Run Model failed: ${e instanceof Error ? e.message : String(e)}`;
    void vscode.window.showErrorMessage(message);
    return { ok: false, message };
  }
  if (summary.kind === 'classification') {
    if (summary.table) await vscode.window.showTextDocument(vscode.Uri.file(summary.table), { preview: false });
    const one = summary.outputs.length === 1 ? summary.outputs[0] : undefined;
    void vscode.window.showInformationMessage(
      one ? `${path.basename(one.input)}: ${one.predicted} (${((one.probabilities?.[one.predicted!] ?? 0) * 100).toFixed(1)}%)` : `${summary.outputs.length} images classified: ${summary.table}`,
    );
    return { ok: true, summary };
  }
  const first = summary.outputs[0];
  if (!first?.output) return { ok: true, summary };
  // The first input's label map over it in the viewer (a folder: its first volume).
  const opened = await openInViewer(vscode.Uri.file(first.input), 'Run Model');
  if ('message' in opened) return { ok: false, message: opened.message };
  const id = `predict:${runId}`;
  opened.session.reveal();
  opened.session.showLabelMap(first.output, id, `${runId} prediction`);
  const fg = Object.entries(first.counts ?? {}).slice(1);
  if (summary.outputs.length > 1) void vscode.window.showInformationMessage(`${summary.outputs.length} label maps written to ${path.dirname(first.output)}`);
  else if (fg.every(([, n]) => n === 0)) void vscode.window.showWarningMessage(`${runId} found no ${fg.map(([c]) => c).join(' or ')} in ${path.basename(first.input)}: the label map is all background.`);
  return { ok: true, summary, overlay: id };
}

export function registerPredictCommands(svc: ExtensionServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.runModel, (arg?: unknown) => {
      // From the explorer's context menu: the file or folder clicked; from tests: { runDir, input }.
      const args: RunModelArgs = arg instanceof vscode.Uri ? { input: arg.fsPath } : arg && typeof arg === 'object' ? (arg as RunModelArgs) : {};
      return runModel(svc, args);
    }),
  ];
}
