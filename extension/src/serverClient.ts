/**
 * Owns the compute server's lifecycle: starts it over IPC, restarts it when it dies (and says
 * so), exposes typed requests that fail with a clear message while the server is down.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { ServerStateNotification, type NotificationDef, type RequestDef, type ServerInitOptions, type ServerStateParams } from '../../server/src/protocol';
import { onNotification, sendRequest } from './lsp';
import { decodeCacheDir } from './webviewChecks';

export type ClientState = 'stopped' | 'starting' | 'running' | 'restarting';

export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<{ state: ClientState; server?: ServerStateParams }>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly notificationHandlers: Array<(c: LanguageClient) => vscode.Disposable> = [];
  private readonly perClient: vscode.Disposable[] = [];
  /** Restarts after a crash, for the message shown to the user and for tests. */
  restarts = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** Starts the server if needed and returns the running client. */
  ensureStarted(): Promise<LanguageClient> {
    if (this.client?.state === State.Running) return Promise.resolve(this.client);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private initOptions(): ServerInitOptions {
    const cfg = vscode.workspace.getConfiguration('medstudio');
    return {
      backend: cfg.get('compute.backend', 'auto'),
      threads: cfg.get('compute.threads', 0),
      trusted: vscode.workspace.isTrusted,
      cacheDir: decodeCacheDir(this.context).fsPath,
    };
  }

  private async start(): Promise<LanguageClient> {
    this.stateEmitter.fire({ state: 'starting' });
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', pattern: '**/*.medstudio.yaml' }],
      outputChannel: this.output,
      initializationOptions: this.initOptions(),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          this.restarts++;
          this.stateEmitter.fire({ state: 'restarting' });
          void vscode.window.showWarningMessage('The MedStudio compute server stopped unexpectedly; it is being restarted.');
          return { action: CloseAction.Restart, handled: true };
        },
      },
    };
    const client = new LanguageClient('medstudio', 'MedStudio Compute Server', serverOptions, clientOptions);
    this.client = client;
    this.perClient.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) this.stateEmitter.fire({ state: 'running' });
        else if (e.newState === State.Stopped) this.stateEmitter.fire({ state: 'stopped' });
      }),
      onNotification(client, ServerStateNotification, (p) => this.stateEmitter.fire({ state: 'running', server: p })),
      ...this.notificationHandlers.map((h) => h(client)),
    );
    await client.start();
    return client;
  }

  async request<P, R>(def: RequestDef<P, R>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.ensureStarted();
    return sendRequest(client, def, params, token);
  }

  /** Subscribes to a server notification, across restarts. */
  onNotification<P>(def: NotificationDef<P>, fn: (p: P) => void): vscode.Disposable {
    const attach = (c: LanguageClient): vscode.Disposable => onNotification(c, def, fn);
    this.notificationHandlers.push(attach);
    const live = this.client ? attach(this.client) : undefined;
    return new vscode.Disposable(() => {
      live?.dispose();
      const i = this.notificationHandlers.indexOf(attach);
      if (i >= 0) this.notificationHandlers.splice(i, 1);
    });
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    for (const d of this.perClient.splice(0)) d.dispose();
    if (old) await old.stop().catch(() => undefined);
    await this.ensureStarted();
  }

  dispose(): void {
    for (const d of this.perClient.splice(0)) d.dispose();
    void this.client?.stop();
    this.stateEmitter.dispose();
  }
}
