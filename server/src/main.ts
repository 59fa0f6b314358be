/**
 * The MedStudio compute server: its own Node process, spoken to over LSP (IPC from the
 * extension, stdio from tests and other editors). Heavy work (TensorFlow.js, readers,
 * training) lives here so that the editor stays responsive and a crash cannot take it down.
 */
import { createConnection, ErrorCodes, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import type { InitializeParams, ServerCapabilities } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import { ServerInitOptions, ServerStateNotification, WorkspaceTrustedNotification, type ComputeStatus } from './protocol';
import { ensureBackend } from './engine/backend';
import { features } from './features';
import { onNotification, sendNotification } from './lsp/typed';
import { boundedMessages, TOO_LARGE_METHOD } from './lsp/boundedMessages';
import { checkParams } from './protocol/validate';
import type { ServerContext } from './features/types';

/** The largest LSP message read over stdio (the schemas bound each field far below this). */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const connection = process.argv.includes('--stdio')
  ? createConnection(ProposedFeatures.all, process.stdin.pipe(boundedMessages(MAX_MESSAGE_BYTES, (m) => process.stderr.write(`medstudio-server: ${m}\n`))), process.stdout)
  : createConnection(ProposedFeatures.all);
connection.onRequest(TOO_LARGE_METHOD, (p: { bytes?: number; limit?: number }) => {
  throw new ResponseError(ErrorCodes.InvalidRequest, `the request was ${String(p?.bytes)} bytes, over the server's limit of ${String(p?.limit)} bytes; it was not read`);
});
const documents = new TextDocuments(TextDocument);
let roots: string[] = [];
// Standalone (tests, other editors): trusted unless the client says otherwise.
let init: ServerInitOptions = { backend: 'auto', threads: 0, trusted: true };
let engine: Promise<ComputeStatus> | undefined;

const ctx: ServerContext = {
  connection,
  documents,
  engine: () => (engine ??= ensureBackend(init)),
  workspaceRoots: () => roots,
  initOptions: () => init,
  trusted: () => init.trusted,
  log: (msg) => connection.console.log(msg),
};

function mergeCapabilities(): ServerCapabilities {
  const caps: ServerCapabilities = { textDocumentSync: TextDocumentSyncKind.Incremental };
  for (const f of features) Object.assign(caps, f.capabilities ?? {});
  return caps;
}

connection.onInitialize((params: InitializeParams) => {
  const o = { backend: 'auto', threads: 0, trusted: true, ...((params.initializationOptions ?? {}) as object) };
  const problem = checkParams(ServerInitOptions, o);
  // Bad options are refused: starting untrusted-as-trusted or with a cache elsewhere is worse than not starting.
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `initializationOptions: ${problem}`);
  init = o as ServerInitOptions;
  roots = (params.workspaceFolders ?? [])
    .filter((f) => f.uri.startsWith('file:'))
    .map((f) => fileURLToPath(f.uri));
  if (roots.length === 0 && params.rootUri?.startsWith('file:')) roots = [fileURLToPath(params.rootUri)];
  return { capabilities: mergeCapabilities(), serverInfo: { name: 'medstudio-server', version: '0.1.0' } };
});

connection.onInitialized(() => {
  sendNotification(connection, ServerStateNotification, { state: 'starting' });
  ctx.engine().then(
    (s) => {
      const native = String(s.details.nativeKernels ?? '');
      const kernels = native.startsWith('oneDNN') ? { kernels: 'oneDNN' } : s.backend === 'wasm' && native ? { kernelsMissing: native } : {};
      const gpu = s.gpu ? { gpu: s.device } : {};
      sendNotification(connection, ServerStateNotification, { state: 'ready', backend: s.backend, ...kernels, ...gpu });
    },
    (e: unknown) =>
      sendNotification(connection, ServerStateNotification, { state: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});

onNotification(connection, WorkspaceTrustedNotification, () => (init = { ...init, trusted: true }), ctx.log);

for (const f of features) f.register(ctx);
documents.listen(connection);
connection.listen();
