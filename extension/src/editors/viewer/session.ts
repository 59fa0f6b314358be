/**
 * One viewer webview bound to one file: answers the webview's requests (what to show, paths
 * checked against the workspace, label-map picking, explain) and relays overlays to it.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  ViewerDecodeRequest,
  ViewerHostEventPayloads,
  ViewerHostRequestParams,
  WebviewChannel,
  type OverlayMessage,
  type ViewerHostEvents,
  type ViewerHostRequests,
  type ViewerWebviewEvents,
  type ViewerWebviewRequests,
  type VolumeSource,
} from '../../../../server/src/protocol';
import type { ExtensionServices } from '../../context';
import { makeNonce, renderWebviewHtml } from '../../webviewHtml';
import { checkViewerPath, decodeRoute, VIEWER_MAX_BYTES } from './paths';
import { addSession, type SessionInfo, type SessionLike } from './registry';
import { decodeCacheDir, webviewChecks } from '../../webviewChecks';

type HostChannel = WebviewChannel<ViewerWebviewRequests, ViewerHostRequests, ViewerWebviewEvents, ViewerHostEvents>;

export class ViewerSession implements SessionLike, vscode.Disposable {
  readonly info: SessionInfo;
  private readonly channel: HostChannel;
  private readonly subs: vscode.Disposable[] = [];
  private readonly rendered: (() => void)[] = [];
  private cacheFile: string | undefined;
  /**
   * Finished overlays (heatmaps, predicted label maps) by id: the webview is not kept while its tab is hidden, so it
   * reloads when shown again and gets them back once it has drawn its slice.
   */
  private readonly overlays = new Map<string, OverlayMessage>();

  constructor(
    readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    private readonly svc: ExtensionServices,
    private readonly explain: (s: ViewerSession) => Promise<{ ok: boolean; message?: string }>,
  ) {
    this.info = { uri: uri.toString() };
    const ext = svc.context.extensionUri;
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      // The extension (bundles), the workspace, the file's own folder and the decode cache only.
      localResourceRoots: [ext, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri), vscode.Uri.file(path.dirname(uri.fsPath)), this.cacheRoot()],
    };
    webview.html = renderWebviewHtml({
      title: path.basename(uri.fsPath),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webviews', 'viewer.js')).toString(),
      cspSource: webview.cspSource,
      nonce: makeNonce(),
    });
    this.channel = new WebviewChannel((m) => void webview.postMessage(m), 120_000, webviewChecks('viewer', ViewerHostRequestParams, ViewerHostEventPayloads, svc.output));
    this.subs.push(
      webview.onDidReceiveMessage((m) => this.channel.receive(m)),
      addSession(this),
      // Hidden, the webview is dropped; shown again it reloads and renders anew.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.info.firstSliceMs = undefined;
      }),
    );
    this.channel.handle('ready', async () => ({ title: path.basename(uri.fsPath), source: await this.source(), maxBytes: VIEWER_MAX_BYTES }));
    this.channel.handle('resolve', ({ path: p }) => {
      const file = checkViewerPath(p, uri.fsPath, this.roots());
      if (!fs.existsSync(file)) throw new Error(`${p}: no such file`);
      return { url: this.url(file), name: path.basename(file) };
    });
    this.channel.handle('pickLabels', async () => {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        defaultUri: vscode.Uri.file(path.dirname(uri.fsPath)),
        openLabel: 'Show as label map',
        filters: { 'Label maps': ['nii', 'gz', 'png'] },
      });
      if (!picked?.[0]) return null;
      const file = checkViewerPath(picked[0].fsPath, uri.fsPath, this.roots());
      const route = decodeRoute(file);
      if (route === 'server') throw new Error(`${path.basename(file)}: label maps must be NIfTI or PNG`);
      const source: VolumeSource = { kind: route, url: this.url(file), name: path.basename(file) };
      return { path: path.relative(path.dirname(uri.fsPath), file), source };
    });
    this.channel.handle('explain', () => this.explain(this));
    this.channel.on('rendered', ({ ms }) => {
      this.info.firstSliceMs = ms;
      for (const o of this.overlays.values()) this.channel.emit('overlay', o);
      for (const fn of this.rendered.splice(0)) fn();
    });
    this.channel.on('failed', ({ message }) => {
      this.info.error = message;
      svc.output.appendLine(`viewer: ${path.basename(uri.fsPath)}: ${message}`);
    });
  }

  isActive(): boolean {
    return this.panel.active;
  }

  onRendered(fn: () => void): void {
    if (this.info.firstSliceMs !== undefined) fn();
    else this.rendered.push(fn);
  }

  /** What the webview shows now: its loaded state and the overlays on screen (tests). */
  webviewStatus(): Promise<{ loaded: boolean; overlays: string[] }> {
    return this.channel.request('status', null);
  }

  sendOverlay(o: OverlayMessage): void {
    if (o.kind === 'labels' || o.final) this.overlays.set(o.id, o);
    this.channel.emit('overlay', o);
  }

  /** A NIfTI label map on the image's grid (a model's prediction), kept across hiding the tab. */
  showLabelMap(file: string, id: string, name: string): void {
    this.sendOverlay({ id, kind: 'labels', name, source: { kind: 'nifti', url: this.url(file), name: path.basename(file) } });
  }

  /** Brings the viewer's tab to the front (an explanation asked for from elsewhere lands here). */
  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  notice(level: 'info' | 'error', message: string): void {
    this.channel.emit('notice', { level, message });
  }

  private roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  }

  private cacheRoot(): vscode.Uri {
    return decodeCacheDir(this.svc.context);
  }

  private url(file: string): string {
    return this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  private async source(): Promise<VolumeSource> {
    const file = this.uri.fsPath;
    const name = path.basename(file);
    const route = decodeRoute(file);
    if (route !== 'server') return { kind: route, url: this.url(file), name };
    // DICOM (its whole series), NRRD, MetaImage: the server's readers (itk-wasm) decode into the cache.
    this.cacheFile = path.join(this.cacheRoot().fsPath, `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.raw`);
    const r = await this.svc.server.request(ViewerDecodeRequest, { path: file, outFile: this.cacheFile, maxBytes: VIEWER_MAX_BYTES });
    return { kind: 'raw', url: this.url(this.cacheFile), name, header: r.header };
  }

  dispose(): void {
    this.channel.dispose();
    for (const s of this.subs.splice(0)) s.dispose();
    if (this.cacheFile) fs.rm(this.cacheFile, { force: true }, () => undefined);
  }
}
