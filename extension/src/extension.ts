/**
 * MedStudio's extension host side: thin by design. It registers commands, editors and views,
 * and owns the compute server's process; it never loads TensorFlow.js.
 */
import * as vscode from 'vscode';
import { ServerClient } from './serverClient';
import { ComputeStatusBar } from './statusBar';
import { registerAll } from './commands';
import { JobsModel } from './jobs/jobsModel';
import { viewerApi } from './editors/viewer/registry';
import { annotatorApi } from './editors/annotator/testApi';
import { trainingStatusApi } from './panels/trainingStatusView';
import { ComputeStatusRequest, type ComputeStatus } from '../../server/src/protocol';

/** Returned from activate(): what the integration tests (and other extensions) may use. */
export interface MedStudioApi {
  computeStatus(): Promise<ComputeStatus>;
  statusBarText(): string;
  serverRestarts(): number;
  server: ServerClient;
  jobs: JobsModel;
  /** Open viewers and when they drew their first slice. */
  viewer: typeof viewerApi;
  /** Open annotator documents, a box drawn through the webview, the hot-exit round trip (tests). */
  annotator: typeof annotatorApi;
  /** The training status panel: whether it is live and how many job events it has shown. */
  trainingStatus: typeof trainingStatusApi;
}

export function activate(context: vscode.ExtensionContext): MedStudioApi {
  const output = vscode.window.createOutputChannel('MedStudio');
  const server = new ServerClient(context, output);
  const statusBar = new ComputeStatusBar(server);
  const jobs = new JobsModel(server);
  context.subscriptions.push(output, server, statusBar, jobs, ...registerAll({ context, server, statusBar, output, jobs }));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('medstudio.compute')) return;
      const pick = await vscode.window.showInformationMessage('The compute backend setting changed. Restart the MedStudio server to apply it?', 'Restart');
      if (pick) await server.restart();
    }),
  );
  // Start in the background: activation returns at once.
  void server.ensureStarted().catch((e: unknown) => output.appendLine(`server failed to start: ${String(e)}`));
  return {
    computeStatus: () => server.request(ComputeStatusRequest, undefined),
    statusBarText: () => statusBar.text,
    serverRestarts: () => server.restarts,
    server,
    jobs,
    viewer: viewerApi,
    annotator: annotatorApi,
    trainingStatus: trainingStatusApi,
  };
}

export function deactivate(): void {
  /* subscriptions dispose the client and the server process */
}
