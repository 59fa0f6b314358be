/**
 * Hosts the training status panel (a webview view in the panel area). The JobsModel keeps every
 * job's state across the panel being hidden; the webview rebuilds from `ready` when shown again.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { CancelJobRequest, PauseJobRequest, ResumeJobRequest, RunHistoryRequest, StatusPanelRequestParams, SweepPanelRequestParams, WebviewChannel, type StatusPanelEvents, type StatusPanelRequests, type SweepPanelEvents, type SweepPanelRequests, type SweepTable, type WireMessage } from '../../../server/src/protocol';
import { handleSweepRequests, watchSweeps } from './sweepPanel';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { makeNonce, renderWebviewHtml } from '../webviewHtml';
import { webviewChecks } from '../webviewChecks';

export const TRAINING_STATUS_VIEW = 'medstudio.trainingStatus';

/** What the panel has shown (for the host tests): events streamed into a live webview, the latest table of each sweep. */
const shown = { events: 0, resolved: 0, sweeps: new Map<string, SweepTable>() };
export const trainingStatusApi = {
  eventsShown: (): number => shown.events,
  timesResolved: (): number => shown.resolved,
  sweepShown: (id: string): SweepTable | undefined => shown.sweeps.get(id),
};

export type PanelChannel = WebviewChannel<Record<string, never>, StatusPanelRequests & SweepPanelRequests, StatusPanelEvents & SweepPanelEvents, Record<string, never>>;

export class TrainingStatusView implements vscode.WebviewViewProvider, vscode.Disposable {
  private channel: PanelChannel | undefined;
  private pendingSelect: string | undefined;
  private pendingCompare: string[] | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly svc: ExtensionServices) {
    this.subs.push(
      svc.jobs.onEvent((e) => {
        if (!this.channel) return;
        this.channel.emit('job', e);
        shown.events++;
      }),
      watchSweeps(svc.server, (t) => {
        if (!this.channel) return;
        this.channel.emit('sweep', t);
        shown.sweeps.set(t.id, t);
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const { context, server, jobs } = this.svc;
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webviews');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    const nonce = makeNonce();
    view.webview.html = renderWebviewHtml({
      title: 'MedStudio Training',
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'status.js')).toString(),
      cspSource: view.webview.cspSource,
      nonce,
    });
    shown.resolved++;
    const ch: PanelChannel = new WebviewChannel((m: WireMessage) => void view.webview.postMessage(m), undefined, webviewChecks('training status', { ...StatusPanelRequestParams, ...SweepPanelRequestParams }, {}, this.svc.output));
    this.channel?.dispose();
    this.channel = ch;
    const runDirOk = (runDir: string) => {
      const known = jobs.all().some((j) => path.resolve(j.info.runDir) === path.resolve(runDir));
      if (!known) throw new Error(`not a run MedStudio knows: ${runDir}`);
      return runDir;
    };
    ch.handle('ready', async () => {
      await jobs.refresh().catch(() => undefined);
      const selected = this.pendingSelect;
      this.pendingSelect = undefined;
      const compare = this.pendingCompare;
      this.pendingCompare = undefined;
      // After the reply: the webview draws its runs first, then the comparison asked for before it loaded.
      if (compare) setTimeout(() => ch.emit('compare', { runDirs: compare }), 0);
      return { jobs: jobs.all(), selected };
    });
    ch.handle('history', async ({ runDir }) => ({ metrics: (await server.request(RunHistoryRequest, { runDir: runDirOk(runDir) })).metrics }));
    ch.handle('cancel', ({ jobId }) => server.request(CancelJobRequest, { jobId }));
    ch.handle('pause', ({ jobId }) => server.request(PauseJobRequest, { jobId }));
    ch.handle('resume', ({ runDir }) => server.request(ResumeJobRequest, { runDir: runDirOk(runDir) }));
    ch.handle('openReport', async ({ runDir }) => void (await vscode.commands.executeCommand(COMMANDS.openReport, runDirOk(runDir))));
    ch.handle('openModel', async ({ runDir }) => {
      const model = vscode.Uri.file(path.join(runDirOk(runDir), 'model', 'model.json'));
      await vscode.window.showTextDocument(model, { preview: true });
    });
    // Answered at once: the command waits on a file dialog and a quick pick for as long as the
    // person takes, longer than the panel's request time-out (it showed "timed out after 30000 ms").
    ch.handle('explain', ({ runDir }) => {
      const dir = runDirOk(runDir);
      void Promise.resolve(vscode.commands.executeCommand(COMMANDS.explain, dir)).catch((e: unknown) => this.svc.output.appendLine(`Explain: ${e instanceof Error ? e.message : String(e)}`));
    });
    handleSweepRequests(ch, server);
    view.webview.onDidReceiveMessage((m: unknown) => ch.receive(m), undefined, this.subs);
    view.onDidDispose(() => {
      if (this.channel === ch) this.channel = undefined;
      ch.dispose();
    });
  }

  /** Shows the panel with a comparison of these runs. */
  async showComparison(runDirs: string[]): Promise<void> {
    if (this.channel) this.channel.emit('compare', { runDirs });
    else this.pendingCompare = runDirs;
    await vscode.commands.executeCommand(`${TRAINING_STATUS_VIEW}.focus`);
  }

  /** Shows the panel and selects a job. */
  async reveal(jobId?: string): Promise<void> {
    if (jobId) {
      this.pendingSelect = jobId;
      this.channel?.emit('select', { jobId });
    }
    await vscode.commands.executeCommand(`${TRAINING_STATUS_VIEW}.focus`);
  }

  dispose(): void {
    this.channel?.dispose();
    for (const s of this.subs) s.dispose();
  }
}

/** The panel, for commands that show something in it (Compare Runs, Run Sweep). */
export const trainingStatus: { view?: TrainingStatusView } = {};

export function registerTrainingStatusView(svc: ExtensionServices): vscode.Disposable[] {
  const view = new TrainingStatusView(svc);
  trainingStatus.view = view;
  return [
    view,
    vscode.window.registerWebviewViewProvider(TRAINING_STATUS_VIEW, view),
    vscode.commands.registerCommand(COMMANDS.showTrainingStatus, (jobId?: unknown) => view.reveal(typeof jobId === 'string' ? jobId : undefined)),
  ];
}
