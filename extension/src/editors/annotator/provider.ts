/**
 * The `medstudio.annotator` custom editor: a COCO box file as an editable document. Every change
 * is a CustomDocumentEditEvent, so VS Code's undo/redo, dirty marker, Save, Save As, Revert and
 * hot-exit backups all work; files are written atomically in standard COCO.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseCoco, serializeCoco } from '../../../../server/src/formats/coco';
import {
  AnnotatorHostEventPayloads,
  AnnotatorHostRequestParams,
  ANNOTATOR_JSON_VIEW_TYPE,
  ANNOTATOR_VIEW_TYPE,
  SuggestBoxesRequest,
  type SuggestSource,
  WebviewChannel,
  type AnnotatorHostEvents,
  type AnnotatorHostRequests,
  type AnnotatorWebviewEvents,
  type AnnotatorWebviewRequests,
  type RunHolds,
  type RunSummary,
  type SuggestedBox,
  type SuspectItem,
} from '../../../../server/src/protocol';
import { pickRun, runsHolding } from '../../runs/pickRun';
import type { ExtensionServices } from '../../context';
import { makeNonce, renderWebviewHtml } from '../../webviewHtml';
import { webviewChecks } from '../../webviewChecks';
import { isInside, rebaseFileName, resolveImagePath } from './paths';
import { AnnotatorSession, type HostHandlers, type SessionHost } from './session';
import { parseSuspects } from './suspects';
import { findVolumeFor } from './volumeBoxes';
import { writeTextAtomic } from './writeAtomic';

/** Volumes the annotator loads into its webview at most (as the viewer: 1 GiB of voxels). */
const VOLUME_MAX_BYTES = 1024 * 1024 * 1024;

type Channel = WebviewChannel<AnnotatorWebviewRequests, AnnotatorHostRequests, AnnotatorWebviewEvents, AnnotatorHostEvents>;

/** One open panel: its channel, whether its webview is up, the image it shows. */
export interface PanelEntry {
  channel: Channel;
  ready: boolean;
  imageId?: number;
  /** Set when a .mrk.json's volume is on screen (name and voxel dims). */
  volume?: { name: string; dims: number[] };
  /** The handlers this panel's requests go to. */
  handlers?: HostHandlers;
}

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

/** Folders the annotator may read images from: the box file's folder and the workspace folders. */
function allowedRoots(uri: vscode.Uri): string[] {
  return [path.dirname(uri.fsPath), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
}

export class AnnotatorDocument implements vscode.CustomDocument {
  readonly session: AnnotatorSession;
  private readonly edits = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<AnnotatorDocument>>();
  readonly onDidEdit = this.edits.event;
  /** Open panels, with the image each shows (for "Suggest Boxes" from the command palette). */
  readonly panels = new Map<vscode.WebviewPanel, PanelEntry>();

  constructor(
    readonly uri: vscode.Uri,
    text: string,
    host: Omit<SessionHost, 'pushEdit' | 'pickReviewQueue'>,
    /** The workspace's runs holding an output, as the server lists them. */
    private readonly runs: (holds: RunHolds) => Promise<RunSummary[]>,
  ) {
    this.session = new AnnotatorSession(path.basename(uri.fsPath), text, {
      ...host,
      pushEdit: (e) => this.edits.fire({ document: this, label: e.label, undo: e.undo, redo: e.redo }),
      pickReviewQueue: () => this.pickReviewQueue(),
    });
  }

  /** Absolute path of an image of this file, or an error when it lies outside the allowed folders. */
  async imagePath(fileName: string): Promise<string> {
    const roots = allowedRoots(this.uri);
    const abs = resolveImagePath(this.uri.fsPath, fileName, roots);
    if (abs instanceof Error) throw abs;
    let real: string;
    try {
      real = await fs.promises.realpath(abs);
    } catch {
      throw new Error(`image '${fileName}' was not found at ${abs}`);
    }
    // A symlink inside the dataset must not lead outside it.
    const realRoots = await Promise.all(roots.map((r) => fs.promises.realpath(r).catch(() => r)));
    if (!realRoots.some((r) => isInside(real, r))) throw new Error(`image '${fileName}' links to ${real}, outside the dataset folder and the workspace; it was not read`);
    return abs;
  }

  /**
   * The volume of a `.mrk.json` (findVolumeFor: a reference stored in the file, the same name
   * beside it or in a sibling folder); when none is found the person picks one. NIfTI only
   * (NRRD/MHA/DICOM volumes would need the server's decoder).
   */
  async volumePath(): Promise<string> {
    if (this.pickedVolume) return this.pickedVolume;
    let text = '';
    try {
      text = this.session.serialize();
    } catch {
      /* a file in error has no stored reference to read */
    }
    const found = findVolumeFor(this.uri.fsPath, text);
    if (!(found instanceof Error)) return found;
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: vscode.Uri.file(path.dirname(path.dirname(this.uri.fsPath))),
      filters: { 'NIfTI volumes': ['nii', 'gz'] },
      openLabel: 'Draw these boxes on this volume',
      title: `${found.message}. Which volume do the boxes of ${path.basename(this.uri.fsPath)} belong to?`,
    });
    if (!picked?.[0]) throw found;
    this.pickedVolume = picked[0].fsPath;
    return this.pickedVolume;
  }
  /** The volume the person picked for this box file (kept while it is open). */
  private pickedVolume: string | undefined;

  /** The cleaning reports of the workspace's runs, or a file the person browses to. */
  private async pickReviewQueue(): Promise<SuspectItem[] | null> {
    const reports = (await this.runs('suspects')).flatMap((r) => r.suspectReports).sort((a, b) => b.savedAt.localeCompare(a.savedAt));
    type Item = vscode.QuickPickItem & { file?: string };
    let file: string | undefined;
    if (reports.length) {
      const items: Item[] = [
        ...reports.map((r) => ({ label: path.basename(r.file), description: vscode.workspace.asRelativePath(path.dirname(path.dirname(r.file))), detail: new Date(r.savedAt).toLocaleString(), file: r.file })),
        { label: '$(folder-opened) Browse…' },
      ];
      const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Review the suspect labels of which cleaning round?' });
      if (!pick) return null;
      file = pick.file;
    }
    if (!file) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        defaultUri: vscode.Uri.file(path.dirname(this.uri.fsPath)),
        filters: { 'Suspect labels report': ['json'] },
        openLabel: 'Review Suspect Labels',
      });
      file = picked?.[0]?.fsPath;
    }
    if (!file) return null;
    const ds = this.session.state().dataset;
    if (!ds) throw new Error('the box file did not open, so there are no images to review');
    return parseSuspects(await readText(vscode.Uri.file(file)), file, ds);
  }

  /** Disposed with the document. */
  readonly disposables: { dispose(): unknown }[] = [];

  dispose(): void {
    for (const { channel } of this.panels.values()) channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.edits.dispose();
  }
}

/** The detection run whose detector proposes boxes (the server's list, newest first; asked when several). */
export async function pickDetectionRun(server: ExtensionServices['server']): Promise<string | undefined> {
  const runs = await runsHolding(server, 'detector');
  if (!runs.length) throw new Error("no finished detection run in this workspace: train a 'method: detect' experiment on your boxes first");
  return (await pickRun(runs, { title: 'Suggest boxes with the detector of which run?', saved: (r) => r.modelSavedAt }))?.runDir;
}

/** The run whose segmentation network proposes boxes (the server's list; asked when several). */
async function pickSegmentationRun(server: ExtensionServices['server']): Promise<string | undefined> {
  const runs = await runsHolding(server, 'segmentationModel');
  if (!runs.length) {
    throw new Error("no run with a segmentation model in this workspace: train one (a CARE experiment with boxes.source: segmentation, or 'medstudio boxes --source segmentation')");
  }
  return (await pickRun(runs, { title: 'Suggest boxes with the segmentation network of which run?', saved: (r) => r.segmentationModelSavedAt }))?.runDir;
}

/**
 * One provider per view type: VS Code listens to each provider's edit event and looks the
 * document up under that view type, so a provider must only report documents it opened.
 * Open documents of all view types are shared in `documents`.
 */
export class AnnotatorEditorProvider implements vscode.CustomEditorProvider<AnnotatorDocument> {
  readonly onDidChangeCustomDocument: vscode.Event<vscode.CustomDocumentEditEvent<AnnotatorDocument>>;
  private readonly changes = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<AnnotatorDocument>>();

  constructor(
    private readonly svc: ExtensionServices,
    readonly documents: Set<AnnotatorDocument>,
  ) {
    this.onDidChangeCustomDocument = this.changes.event;
  }

  async openCustomDocument(uri: vscode.Uri, open: vscode.CustomDocumentOpenContext, _token?: vscode.CancellationToken): Promise<AnnotatorDocument> {
    // Hot exit: the pending state comes from the backup, saving still goes to `uri`.
    const text = await readText(open.backupId ? vscode.Uri.parse(open.backupId) : uri);
    const doc: AnnotatorDocument = new AnnotatorDocument(uri, text, {
      imageSrc: async () => {
        throw new Error('no webview to show the image in');
      },
      volumeSource: async () => {
        throw new Error('no webview to show the volume in');
      },
      suggest: (fileName, source, runDir) => this.suggest(doc, fileName, source, runDir),
      canEdit: () => vscode.workspace.isTrusted,
    }, (holds) => runsHolding(this.svc.server, holds));
    this.documents.add(doc);
    doc.disposables.push(
      doc.onDidEdit((e) => this.changes.fire(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => doc.session.refresh()),
      { dispose: () => this.documents.delete(doc) },
    );
    return doc;
  }

  private async suggest(doc: AnnotatorDocument, fileName: string, source: SuggestSource, given?: string): Promise<SuggestedBox[]> {
    if (!vscode.workspace.isTrusted) throw new Error('box suggestions run models: trust this workspace first');
    const imagePath = await doc.imagePath(fileName);
    const runDir = source === 'saliency' ? undefined : given !== undefined ? given : source === 'segmentation' ? await pickSegmentationRun(this.svc.server) : source === 'model' ? await pickDetectionRun(this.svc.server) : undefined;
    if (source !== 'saliency' && !runDir) return [];
    try {
      const { boxes } = await this.svc.server.request(SuggestBoxesRequest, { imagePath, source, ...(runDir ? { runDir } : {}) });
      return boxes;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === -32601) throw new Error('the compute server does not offer box suggestions yet (medstudio/boxes/suggest is not implemented)');
      throw e;
    }
  }

  resolveCustomEditor(doc: AnnotatorDocument, panel: vscode.WebviewPanel): void {
    const dist = vscode.Uri.joinPath(this.svc.context.extensionUri, 'dist');
    const roots = [dist, vscode.Uri.file(path.dirname(doc.uri.fsPath)), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri)];
    panel.webview.options = { enableScripts: true, localResourceRoots: roots };
    panel.webview.html = renderWebviewHtml({
      title: `Annotate ${path.basename(doc.uri.fsPath)}`,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webviews', 'annotator.js')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
    });
    const channel: Channel = new WebviewChannel((m) => void panel.webview.postMessage(m), undefined, webviewChecks('annotator', AnnotatorHostRequestParams, AnnotatorHostEventPayloads, this.svc.output));
    const entry: PanelEntry = { channel, ready: false };
    doc.panels.set(panel, entry);
    const handlers = doc.session.handlers({
      imageSrc: async (fileName) => panel.webview.asWebviewUri(vscode.Uri.file(await doc.imagePath(fileName))).toString(),
      volumeSource: async () => {
        const file = await doc.volumePath();
        return { source: { kind: 'nifti', url: panel.webview.asWebviewUri(vscode.Uri.file(file)).toString(), name: path.basename(file) }, maxBytes: VOLUME_MAX_BYTES };
      },
    });
    entry.handlers = handlers;
    for (const m of Object.keys(handlers) as (keyof typeof handlers)[]) channel.handle(m, handlers[m] as never);
    channel.handle('ready', async () => {
      entry.ready = true;
      return handlers.ready(null);
    });
    channel.on('currentImage', ({ imageId }) => (entry.imageId = imageId));
    channel.on('volumeShown', (v) => (entry.volume = v));
    const subs = [
      panel.webview.onDidReceiveMessage((m) => channel.receive(m)),
      { dispose: doc.session.onDidUpdate((u) => (u.type === 'patch' ? channel.emit('patch', u.payload) : channel.emit('state', u.payload))) },
    ];
    panel.onDidDispose(() => {
      for (const s of subs) s.dispose();
      channel.dispose();
      doc.panels.delete(panel);
    });
  }

  async saveCustomDocument(doc: AnnotatorDocument): Promise<void> {
    await writeTextAtomic(doc.uri, doc.session.serialize());
  }

  async saveCustomDocumentAs(doc: AnnotatorDocument, dest: vscode.Uri, _token?: vscode.CancellationToken): Promise<void> {
    // 3D boxes are in world millimetres: nothing in the file depends on where it lives.
    if (doc.session.kind === 'roi') return writeTextAtomic(dest, doc.session.serialize());
    const from = path.dirname(doc.uri.fsPath);
    const to = path.dirname(dest.fsPath);
    const ds = parseCoco(doc.session.serialize());
    // Image paths are relative to the box file: keep them pointing at the same images.
    ds.images = ds.images.map((i) => ({ ...i, file_name: rebaseFileName(i.file_name, from, to) }));
    await writeTextAtomic(dest, serializeCoco(ds));
  }

  async revertCustomDocument(doc: AnnotatorDocument): Promise<void> {
    doc.session.load(await readText(doc.uri));
  }

  async backupCustomDocument(doc: AnnotatorDocument, context: vscode.CustomDocumentBackupContext, _token?: vscode.CancellationToken): Promise<vscode.CustomDocumentBackup> {
    await writeTextAtomic(context.destination, doc.session.serialize());
    return {
      id: context.destination.toString(),
      delete: () => void vscode.workspace.fs.delete(context.destination).then(undefined, () => undefined),
    };
  }

  /** The open document of `uri`, if any. */
  document(uri: vscode.Uri | string): AnnotatorDocument | undefined {
    const key = uri.toString();
    return [...this.documents].find((d) => d.uri.toString() === key);
  }

  /** The annotator panel the person is looking at, with its document. */
  active(): { doc: AnnotatorDocument; panel: vscode.WebviewPanel; imageId?: number } | undefined {
    for (const doc of this.documents) {
      for (const [panel, e] of doc.panels) if (panel.active) return { doc, panel, ...(e.imageId !== undefined ? { imageId: e.imageId } : {}) };
    }
    return undefined;
  }
}

export function registerAnnotatorEditor(svc: ExtensionServices): { provider: AnnotatorEditorProvider; disposable: vscode.Disposable } {
  const documents = new Set<AnnotatorDocument>();
  const provider = new AnnotatorEditorProvider(svc, documents);
  // Small documents, and the person's zoom/selection should survive switching tabs.
  const options = { webviewOptions: { retainContextWhenHidden: true }, supportsMultipleEditorsPerDocument: true };
  const disposable = vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(ANNOTATOR_VIEW_TYPE, provider, options),
    vscode.window.registerCustomEditorProvider(ANNOTATOR_JSON_VIEW_TYPE, new AnnotatorEditorProvider(svc, documents), options),
  );
  return { provider, disposable };
}
