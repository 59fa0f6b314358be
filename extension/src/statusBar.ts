/** The status bar item: server state, the backend it picked, and (later) a running job. */
import * as vscode from 'vscode';
import type { ServerClient } from './serverClient';
import { COMMANDS } from './commandIds';

export class ComputeStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('medstudio.compute', vscode.StatusBarAlignment.Left, 10);
  private backend = '';
  /** Why the native kernels are not loaded, when the backend is wasm without them. */
  private missing = '';
  private job = '';
  private readonly subs: vscode.Disposable[] = [];

  constructor(server: ServerClient) {
    this.item.name = 'MedStudio Compute';
    this.item.command = COMMANDS.showComputeStatus;
    this.set('$(loading~spin) MedStudio', 'Starting the MedStudio compute server…');
    this.subs.push(
      server.onDidChangeState(({ state, server: s, message }) => {
        if (s?.state === 'ready' && s.backend) {
          this.backend = s.kernels ? `${s.backend} + ${s.kernels}` : s.kernelsMissing ? `${s.backend} (no native kernels)` : s.gpu ? `${s.backend} on ${s.gpu}` : s.backend;
          this.missing = s.kernelsMissing ?? '';
        }
        if (state === 'failed') return this.set('$(error) MedStudio', `The compute server could not start: ${message ?? ''}. Run "MedStudio: Restart Server".`);
        if (s?.state === 'error') return this.set('$(error) MedStudio', `Compute server error: ${s.message ?? ''}`);
        if (state === 'restarting') return this.set('$(sync~spin) MedStudio', 'Restarting the compute server…');
        if (state === 'stopped') return this.set('$(circle-slash) MedStudio', 'The compute server is stopped');
        if (state === 'starting' || s?.state === 'starting') return this.set('$(loading~spin) MedStudio', 'Starting the compute server…');
        this.render();
      }),
    );
    this.item.show();
  }

  /** A running job's compact state (epoch, metric); empty string clears it. */
  setJob(text: string): void {
    this.job = text;
    this.render();
  }

  private render(): void {
    const b = this.backend || '…';
    const why = this.missing ? ` Native oneDNN kernels not loaded: ${this.missing}. CPU training runs on the slower wasm kernels.` : '';
    this.set(`$(pulse) MedStudio: ${b}${this.job ? ` · ${this.job}` : ''}`, `MedStudio compute backend: ${b}.${why} Click for details.`);
  }

  private set(text: string, tooltip: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
