/**
 * The MedStudio compute server: its own Node process, spoken to over LSP (IPC from the
 * extension, stdio from tests and other editors). Heavy work (TensorFlow.js, readers,
 * training) lives here so that the editor stays responsive and a crash cannot take it down.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import type { InitializeParams, ServerCapabilities } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import { ServerStateNotification, WorkspaceTrustedNotification, type ComputeStatus, type ServerInitOptions } from './protocol';
import { ensureBackend } from './engine/backend';
import { features } from './features';
import { sendNotification } from './lsp/typed';
import type { ServerContext } from './features/types';

const connection = createConnection(ProposedFeatures.all);
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
  const o = (params.initializationOptions ?? {}) as Partial<ServerInitOptions>;
  init = { backend: o.backend ?? 'auto', threads: o.threads ?? 0, trusted: o.trusted ?? true };
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
      sendNotification(connection, ServerStateNotification, { state: 'ready', backend: s.backend, ...kernels });
    },
    (e: unknown) =>
      sendNotification(connection, ServerStateNotification, { state: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});

connection.onNotification(WorkspaceTrustedNotification.method, () => {
  init = { ...init, trusted: true };
});

for (const f of features) f.register(ctx);
documents.listen(connection);
connection.listen();
