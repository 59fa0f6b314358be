/**
 * Owns the compute server's lifecycle: starts it over IPC, restarts it when it dies, and exposes
 * typed requests that fail with a clear message while the server is down.
 *
 * One client at a time: every start, restart and replacement runs through one queue, and the old
 * client is disposed (its process, diagnostics and providers gone) before a new one starts, so
 * that neither a crash during a restart nor two restarts in a row leave a second server behind.
 * vscode-languageclient's own restart is switched off; a server that dies is restarted after a
 * back-off (RestartPolicy) a few times, then the user sees one message with its cause and
 * "Show Output" / "Restart".
 */
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ServerStateNotification, type NotificationDef, type RequestDef, type ServerInitOptions, type ServerStateParams } from '../../server/src/protocol';
import { onNotification, sendRequest } from './lsp';
import { DEFAULT_RESTART_POLICY, failureCause, RestartPolicy, type RestartPolicyOptions } from './restartPolicy';
import { TailChannel } from './tailChannel';
import { decodeCacheDir } from './webviewChecks';

export type ClientState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** The client being started or running; undefined when none was asked for or after giving up. */
  private current: Promise<LanguageClient> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly policy: RestartPolicy;
  private readonly tail: TailChannel;
  private readonly stateEmitter = new vscode.EventEmitter<{ state: ClientState; server?: ServerStateParams; message?: string }>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly notificationHandlers: Array<(c: LanguageClient) => vscode.Disposable> = [];
  private readonly perClient: vscode.Disposable[] = [];
  private disposed = false;
  /** Why the server could not be kept running, once the restarts were used up. */
  failure: string | undefined;
  /** Restarts after a crash (tests, and the output channel). */
  restarts = 0;
  /** "Could not start" messages shown: one per give-up, never one per crash (tests). */
  failureMessages = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
    policy: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
  ) {
    this.policy = new RestartPolicy(policy);
    this.tail = new TailChannel(output);
  }

  /** Starts the server if needed and returns the running client. */
  ensureStarted(): Promise<LanguageClient> {
    if (this.failure) return Promise.reject(new Error(`the MedStudio compute server is not running (${this.failure}); run "MedStudio: Restart Server"`));
    this.current ??= this.enqueue(() => this.startWithRetries());
    return this.current;
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

  /** Replaces the client with a fresh one (never adds one), and counts failures afresh. */
  async restart(): Promise<void> {
    this.policy.reset();
    this.failure = undefined;
    const next = this.enqueue(async () => {
      await this.stopClient();
      return this.startWithRetries();
    });
    this.current = next;
    await next;
  }

  dispose(): void {
    this.disposed = true;
    void this.enqueue(() => this.stopClient());
    this.stateEmitter.dispose();
  }

  /** Runs lifecycle changes one after another, whatever the previous one's outcome. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private initOptions(): ServerInitOptions {
    const cfg = vscode.workspace.getConfiguration('medstudio');
    return { backend: cfg.get('compute.backend', 'auto'), threads: cfg.get('compute.threads', 0), trusted: vscode.workspace.isTrusted, cacheDir: decodeCacheDir(this.context).fsPath };
  }

  /** Starts a client; a start that fails is retried after the policy's back-off, then given up. */
  private async startWithRetries(): Promise<LanguageClient> {
    for (;;) {
      if (this.disposed) throw new Error('the MedStudio extension is shutting down');
      this.tail.mark();
      try {
        return await this.launch();
      } catch (e) {
        const cause = failureCause(this.tail.linesSinceMark()) ?? (e instanceof Error ? e.message : String(e));
        const delay = this.policy.onFailure();
        if (delay === undefined) throw this.giveUp(cause);
        this.output.appendLine(`[MedStudio] the compute server failed to start (${cause}); trying again in ${delay / 1000} s (failure ${this.policy.count})`);
        this.stateEmitter.fire({ state: 'restarting', message: cause });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async launch(): Promise<LanguageClient> {
    this.stateEmitter.fire({ state: 'starting' });
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    let client: LanguageClient | undefined = undefined;
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', pattern: '**/*.medstudio.yaml' }],
      outputChannel: this.tail,
      initializationOptions: this.initOptions(),
      // No toast per failed attempt: startWithRetries reports once, when it gives up.
      initializationFailedHandler: () => false,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          // Only the running client's death is a crash; a client stopped on purpose, or one whose
          // start failed (startWithRetries handles that), is not.
          if (client && client === this.client && !this.disposed) this.onCrash(client);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    client = new LanguageClient('medstudio', 'MedStudio Compute Server', serverOptions, clientOptions);
    const subs = [
      onNotification(client, ServerStateNotification, (p) => this.stateEmitter.fire({ state: 'running', server: p })),
      ...this.notificationHandlers.map((h) => h(client!)),
    ];
    try {
      await client.start();
      // A server that dies during initialize can leave start() resolved with a stopped client.
      if (client.state !== State.Running) throw new Error('the server process exited while starting');
    } catch (e) {
      for (const d of subs) d.dispose();
      await client.dispose(2000).catch(() => undefined);
      throw e;
    }
    this.client = client;
    this.perClient.push(...subs);
    this.stateEmitter.fire({ state: 'running' });
    return client;
  }

  /** The running server died: replace its client after the back-off, or give up. */
  private onCrash(dead: LanguageClient): void {
    this.restarts++;
    this.tail.mark();
    const next = this.enqueue(async () => {
      if (this.client !== dead) return this.ensureLive();
      const cause = failureCause(this.tail.linesSinceMark()) ?? 'the server process exited';
      await this.stopClient();
      const delay = this.policy.onFailure();
      if (delay === undefined) throw this.giveUp(cause);
      this.output.appendLine(`[MedStudio] the compute server stopped (${cause}); restarting in ${delay / 1000} s`);
      this.stateEmitter.fire({ state: 'restarting', message: cause });
      await new Promise((r) => setTimeout(r, delay));
      return this.startWithRetries();
    });
    this.current = next;
    next.catch(() => undefined);
  }

  private ensureLive(): Promise<LanguageClient> {
    return this.client ? Promise.resolve(this.client) : this.startWithRetries();
  }

  private async stopClient(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    for (const d of this.perClient.splice(0)) d.dispose();
    if (old) await old.dispose(5000).catch(() => undefined);
    if (!this.disposed) this.stateEmitter.fire({ state: 'stopped' });
  }

  /** Stops retrying and tells the user once, with the cause and what they can do. */
  private giveUp(cause: string): Error {
    this.failure = cause;
    this.current = undefined;
    this.failureMessages++;
    this.output.appendLine(`[MedStudio] the compute server could not be kept running: ${cause}`);
    if (!this.disposed) this.stateEmitter.fire({ state: 'failed', message: cause });
    void vscode.window
      .showErrorMessage(`The MedStudio compute server could not start after ${this.policy.count} attempts: ${cause}`, 'Show Output', 'Restart')
      .then((pick) => {
        if (pick === 'Show Output') this.output.show();
        if (pick === 'Restart') void this.restart().catch(() => undefined);
      });
    return new Error(`the MedStudio compute server could not start: ${cause}`);
  }
}
