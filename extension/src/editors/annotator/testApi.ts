/**
 * What the real-VS-Code tests reach through the extension's activate() API: open annotator
 * documents, a box drawn through the webview's own edit path, and the hot-exit round trip
 * (backupCustomDocument, then openCustomDocument from that backup) that VS Code runs on restart.
 */
import * as vscode from 'vscode';
import type { AnnotatorIntent, AnnotatorState, EditResult, RoiIntent, SuggestSource } from '../../../../server/src/protocol';
import type { CocoBBox } from '../../../../server/src/formats/coco';
import type { AnnotatorEditorProvider } from './provider';

let provider: AnnotatorEditorProvider | undefined;

export function setAnnotatorProvider(p: AnnotatorEditorProvider | undefined): void {
  provider = p;
}

function need(): AnnotatorEditorProvider {
  if (!provider) throw new Error('the annotator editor is not registered');
  return provider;
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const annotatorApi = {
  /** The document state of an open box file. */
  state(uri: string): AnnotatorState | undefined {
    return need().document(uri)?.session.state();
  },
  /** Resolves when a webview showing `uri` has asked for its state (it is live). */
  whenReady(uri: string, timeoutMs = 60_000): Promise<AnnotatorState> {
    return until(`an annotator webview for ${uri}`, () => {
      const doc = need().document(uri);
      return doc && [...doc.panels.values()].some((p) => p.ready) ? doc.session.state() : undefined;
    }, timeoutMs);
  },
  /** Resolves when a webview of a .mrk.json shows its volume (name and voxel dims). */
  whenVolumeShown(uri: string, timeoutMs = 60_000): Promise<{ name: string; dims: number[] }> {
    return until(`the volume of ${uri} on screen`, () => {
      const doc = need().document(uri);
      return doc ? [...doc.panels.values()].find((p) => p.volume)?.volume : undefined;
    }, timeoutMs);
  },
  /** Applies a 3D box edit through the handler the webview's requests go to. */
  editRoi(uri: string, intent: RoiIntent): Promise<EditResult> {
    const doc = need().document(uri);
    if (!doc) throw new Error(`${uri} is not open in the annotator`);
    return doc.session.handlers().editRoi(intent);
  },
  /** Asks the webview to draw a box as the mouse would; resolves with the new document state. */
  async drawInWebview(uri: string, imageId: number, bbox: CocoBBox, timeoutMs = 30_000): Promise<AnnotatorState> {
    const doc = need().document(uri);
    const panel = doc && [...doc.panels.values()].find((p) => p.ready);
    if (!doc || !panel) throw new Error(`no live annotator webview for ${uri}`);
    const before = doc.session.state().version;
    panel.channel.emit('drawBox', { imageId, bbox });
    return until('the drawn box to reach the document', () => {
      const s = doc.session.state();
      return s.version > before ? s : undefined;
    }, timeoutMs);
  },
  /** Applies an edit through the handler the webview's requests go to. */
  edit(uri: string, intent: AnnotatorIntent): Promise<EditResult> {
    const doc = need().document(uri);
    if (!doc) throw new Error(`${uri} is not open in the annotator`);
    return doc.session.handlers().edit(intent);
  },
  /** What the webview's image request answers for `imageId` (a webview URI, or the error). */
  async imageRequest(uri: string, imageId: number): Promise<string> {
    const doc = need().document(uri);
    const panel = doc && [...doc.panels.values()].find((p) => p.ready && p.handlers);
    if (!panel?.handlers) throw new Error(`no live annotator webview for ${uri}`);
    return (await panel.handlers.image({ imageId })).src;
  },
  /** "Suggest Boxes" as the webview asks for it: the compute server's boxes become suggestions. */
  async suggest(uri: string, imageId: number, source: SuggestSource): Promise<EditResult> {
    const doc = need().document(uri);
    const panel = doc && [...doc.panels.values()].find((p) => p.ready && p.handlers);
    if (!doc || !panel?.handlers) throw new Error(`no live annotator webview for ${uri}`);
    const categoryId = doc.session.state().dataset?.categories[0]?.id ?? 1;
    return panel.handlers.suggest({ imageId, source, categoryId });
  },
  /** The webview's "Review suspects…": the person picks a cleaning report; its suspects become the queue. */
  async openReviewQueue(uri: string): Promise<{ count: number; unmatched: number }> {
    const doc = need().document(uri);
    const panel = doc && [...doc.panels.values()].find((p) => p.ready && p.handlers);
    if (!panel?.handlers) throw new Error(`no live annotator webview for ${uri}`);
    return panel.handlers.openReviewQueue(null);
  },
  /** Save As through the provider (VS Code's own Save As asks for the target in a dialog). */
  async saveAs(uri: string, destination: vscode.Uri): Promise<void> {
    const p = need();
    const doc = p.document(uri);
    if (!doc) throw new Error(`${uri} is not open in the annotator`);
    const cts = new vscode.CancellationTokenSource();
    try {
      await p.saveCustomDocumentAs(doc, destination, cts.token);
    } finally {
      cts.dispose();
    }
  },
  /**
   * Hot exit: writes the provider's backup of the open document, opens a fresh document from it
   * (as VS Code does after a restart) and returns what that document holds.
   */
  async backupAndRestore(uri: string, destination: vscode.Uri): Promise<{ state: AnnotatorState; text: string }> {
    const p = need();
    const doc = p.document(uri);
    if (!doc) throw new Error(`${uri} is not open in the annotator`);
    const cts = new vscode.CancellationTokenSource();
    const backup = await p.backupCustomDocument(doc, { destination }, cts.token);
    const restored = await p.openCustomDocument(doc.uri, { backupId: backup.id, untitledDocumentData: undefined }, cts.token);
    try {
      return { state: restored.session.state(), text: restored.session.serialize() };
    } finally {
      restored.dispose();
      backup.delete();
      cts.dispose();
    }
  },
};
