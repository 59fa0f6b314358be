import type { Connection, ServerCapabilities, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ComputeStatus, RequestDef, NotificationDef, ServerInitOptions } from '../protocol';

/** What every server feature gets: the connection, open documents and the engine. */
export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  /** Resolves once the compute backend is selected. */
  engine: () => Promise<ComputeStatus>;
  /** Workspace folders as file system paths (may be empty). */
  workspaceRoots: () => string[];
  /** Options the client sent at initialize (backend preference, threads, trust, decode cache), checked. */
  initOptions: () => ServerInitOptions;
  /** Workspace trust: features that train or write files refuse until it is granted. */
  trusted: () => boolean;
  log: (msg: string) => void;
}

/** A server feature: its LSP capabilities (merged at initialize) and its handlers. */
export interface ServerFeature {
  name: string;
  capabilities?: ServerCapabilities;
  register(ctx: ServerContext): void;
}

export type { RequestDef, NotificationDef };
