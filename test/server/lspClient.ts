/**
 * A real LSP client for server tests: spawns the built server (dist/server.js --stdio) and
 * speaks JSON-RPC to it, exactly as an editor would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  type ProtocolConnection,
  type InitializeResult,
} from 'vscode-languageserver-protocol/node';
import type { NotificationDef, RequestDef, ServerInitOptions } from '../../server/src/protocol';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface TestServer {
  conn: ProtocolConnection;
  proc: ChildProcess;
  init: InitializeResult;
  stderr: () => string;
  request<P, R>(def: RequestDef<P, R>, params: P): Promise<R>;
  onNotification<P>(def: NotificationDef<P>, fn: (p: P) => void): void;
  stop(): Promise<number | null>;
}

export async function startServer(opts: { workspace?: string; init?: Partial<ServerInitOptions>; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: opts.workspace ?? ROOT,
    ...(opts.env ? { env: opts.env } : {}),
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  conn.listen();
  const ws = opts.workspace ?? ROOT;
  const init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(ws).href,
    capabilities: { window: { workDoneProgress: true } },
    workspaceFolders: [{ uri: pathToFileURL(ws).href, name: path.basename(ws) }],
    initializationOptions: { backend: 'auto', threads: 0, ...opts.init },
  });
  await conn.sendNotification(InitializedNotification.type, {});
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    conn,
    proc,
    init,
    stderr: () => err,
    request: <P, R>(def: RequestDef<P, R>, params: P) => conn.sendRequest(def.method, params) as Promise<R>,
    onNotification: <P>(def: NotificationDef<P>, fn: (p: P) => void) => void conn.onNotification(def.method, fn),
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
      const code = await exited;
      conn.dispose();
      return code;
    },
  };
}
