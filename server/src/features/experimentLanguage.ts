/**
 * Language features for `*.medstudio.yaml`: diagnostics (schema, missing files, unknown classes),
 * completion (keys, methods and other enums, class names, paths), hover documentation for every
 * key, and CodeLens (Train, Resume, Evaluate, Explain, Open Report + the latest run's state).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  type CodeAction,
  type CodeLens,
  type CompletionItem,
  type Diagnostic,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { schemaAt, type SchemaNode } from '../experiment/schema';
import { sweepableKeys } from '../experiment/sweepParams';
import { experimentDiagnostics } from '../language/diagnostics';
import { cursorContext, keyAt } from '../language/keyPath';
import { classesInData, pathCandidates } from '../language/dataClasses';
import { runsOf } from '../language/runsIndex';
import { isConfined } from '../paths/confine';
import { parseDocument } from 'yaml';
import type { ServerContext, ServerFeature } from './types';

export const isExperimentUri = (uri: string): boolean => /\.medstudio\.ya?ml$/.test(uri) && uri.startsWith('file:');

function validate(ctx: ServerContext, doc: TextDocument): void {
  if (!isExperimentUri(doc.uri)) return;
  const file = fileURLToPath(doc.uri);
  const diagnostics: Diagnostic[] = experimentDiagnostics(doc.getText(), file, ctx.workspaceRoots()).map((p) => ({
    range: { start: p.start, end: p.end },
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'medstudio',
    message: p.message,
    ...(p.replacement ? { data: { replacement: p.replacement } } : {}),
  }));
  void ctx.connection.sendDiagnostics({ uri: doc.uri, diagnostics });
}

/** Quick fixes for the diagnostics that carry their fix (a misspelt key -> the key it is closest to). */
function quickFixes(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  return diagnostics.flatMap((d) => {
    const replacement = (d.data as { replacement?: unknown } | undefined)?.replacement;
    if (d.source !== 'medstudio' || typeof replacement !== 'string') return [];
    return [{ title: `Change to '${replacement}'`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: { changes: { [uri]: [{ range: d.range, newText: replacement }] } } }];
  });
}

function describe(node: SchemaNode): string {
  const parts = [node.doc];
  if (node.kind === 'string' && node.enum) parts.push(`Values: ${node.enum.map((v) => `\`${v}\``).join(', ')}.`);
  if (node.kind === 'number') {
    const r = [node.min !== undefined ? `≥ ${node.min}` : '', node.max !== undefined ? `≤ ${node.max}` : ''].filter(Boolean).join(', ');
    parts.push(`${node.integer ? 'Whole number' : 'Number'}${r ? ` (${r})` : ''}.`);
  }
  if ('default' in node && node.default !== undefined) parts.push(`Default: \`${String(node.default)}\`.`);
  return parts.join('\n\n');
}

/** `roots`: the workspace folders; completion lists and reads nothing outside them. */
function completions(doc: TextDocument, line: number, character: number, roots: readonly string[]): CompletionItem[] {
  const text = doc.getText();
  const c = cursorContext(text, line, character);
  const parent = schemaAt(c.parent);
  if (c.key === undefined) {
    if (parent?.kind === 'map') {
      return sweepableKeys().map(([k, node]) => ({ label: k, kind: CompletionItemKind.Property, insertText: `${k}: [`, documentation: { kind: MarkupKind.Markdown, value: describe(node) } }));
    }
    if (parent?.kind !== 'object') return [];
    const present = new Set<string>();
    try {
      const js = parseDocument(text).toJS() as Record<string, unknown> | null;
      let o: unknown = js;
      for (const k of c.parent) o = (o as Record<string, unknown> | undefined)?.[k];
      for (const k of Object.keys((o as object | null) ?? {})) present.add(k);
    } catch {
      /* partial document */
    }
    return Object.entries(parent.keys)
      .filter(([k]) => !present.has(k))
      .map(([k, node]) => ({
        label: k,
        kind: CompletionItemKind.Property,
        // Inside `{ … }` an object key opens a nested flow mapping; on its own line, an indented block.
        insertText: node.kind === 'object' ? (c.inFlow ? `${k}: { ` : `${k}:\n${' '.repeat(2 * (c.parent.length + 1))}`) : `${k}: `,
        documentation: { kind: MarkupKind.Markdown, value: describe(node) },
      }));
  }
  const node = schemaAt([...c.parent, c.key]);
  const valueNode = node?.kind === 'array' ? node.items : node;
  if (!valueNode) return [];
  const isClassList = c.parent.join('.') === 'data' && (c.key === 'classes' || c.key === 'rare');
  if (isClassList) {
    try {
      const js = parseDocument(text).toJS() as { data?: { format?: string; path?: string; classes?: string[] } };
      const dataPath = js.data?.path ? path.resolve(path.dirname(fileURLToPath(doc.uri)), js.data.path) : undefined;
      const fromData = js.data?.format && dataPath && isConfined(dataPath, roots) ? classesInData(js.data.format, dataPath) : undefined;
      const names = c.key === 'rare' && js.data?.classes ? js.data.classes : (fromData ?? js.data?.classes ?? []);
      return names.map((n) => ({ label: n, kind: CompletionItemKind.EnumMember, detail: 'class in the data' }));
    } catch {
      return [];
    }
  }
  if (valueNode.kind === 'string' && valueNode.enum) {
    return valueNode.enum.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, documentation: { kind: MarkupKind.Markdown, value: describe(valueNode) } }));
  }
  if (valueNode.kind === 'boolean') return ['true', 'false'].map((v) => ({ label: v, kind: CompletionItemKind.Value }));
  if (valueNode.kind === 'string' && valueNode.path && doc.uri.startsWith('file:')) {
    return pathCandidates(path.dirname(fileURLToPath(doc.uri)), c.prefix, roots).map((p) => ({
      label: p.label,
      kind: p.isDir ? CompletionItemKind.Folder : CompletionItemKind.File,
      command: p.isDir ? { title: 'more', command: 'editor.action.triggerSuggest' } : undefined,
    }));
  }
  return [];
}

function codeLenses(ctx: ServerContext, doc: TextDocument): CodeLens[] {
  const file = fileURLToPath(doc.uri);
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const lens = (title: string, command: string, args: unknown[]): CodeLens => ({ range, command: { title, command, arguments: args } });
  const runs = runsOf(file, ctx.workspaceRoots());
  const last = runs[0];
  const out = [lens('$(play) Train', 'medstudio.train', [doc.uri])];
  if (/^sweep:/m.test(doc.getText())) out.push(lens('$(beaker) Run Sweep', 'medstudio.runSweep', [doc.uri]), lens('Run Sweep on Slurm', 'medstudio.runSweepSlurm', [doc.uri]));
  if (last) {
    if (['interrupted', 'cancelled', 'paused', 'failed'].includes(last.state)) out.push(lens('$(debug-continue) Resume', 'medstudio.resume', [last.runDir]));
    out.push(lens('Evaluate', 'medstudio.evaluate', [last.runDir, doc.uri]), lens('Explain', 'medstudio.explain', [last.runDir]), lens('Open Report', 'medstudio.openReport', [last.runDir]));
    const best = last.best ? ` · best ${last.best.metric} ${last.best.value.toFixed(3)}` : '';
    out.push(lens(`last run: ${last.state}${best}`, 'medstudio.showTrainingStatus', [last.runDir]));
  }
  return out;
}

export const experimentLanguageFeature: ServerFeature = {
  name: 'experiment-language',
  capabilities: {
    completionProvider: { triggerCharacters: [':', ' ', '[', ',', '/', '-'] },
    hoverProvider: true,
    codeLensProvider: { resolveProvider: false },
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
  register(ctx) {
    ctx.documents.onDidChangeContent((e) => validate(ctx, e.document));
    ctx.documents.onDidClose((e) => void ctx.connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));
    ctx.connection.onCompletion((p) => {
      const doc = ctx.documents.get(p.textDocument.uri);
      return doc && isExperimentUri(doc.uri) ? completions(doc, p.position.line, p.position.character, ctx.workspaceRoots()) : [];
    });
    ctx.connection.onHover((p) => {
      const doc = ctx.documents.get(p.textDocument.uri);
      if (!doc || !isExperimentUri(doc.uri)) return null;
      const keys = keyAt(doc.getText(), p.position.line, p.position.character);
      const node = keys ? schemaAt(keys) : undefined;
      if (!keys || !node) return null;
      return { contents: { kind: MarkupKind.Markdown, value: `**${keys.join('.')}**\n\n${describe(node)}` } };
    });
    ctx.connection.onCodeAction((p) => (isExperimentUri(p.textDocument.uri) ? quickFixes(p.textDocument.uri, p.context.diagnostics) : []));
    ctx.connection.onCodeLens((p) => {
      const doc = ctx.documents.get(p.textDocument.uri);
      return doc && isExperimentUri(doc.uri) ? codeLenses(ctx, doc) : [];
    });
  },
};
