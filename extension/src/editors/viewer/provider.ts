/** The `medstudio.viewer` custom editor: read-only, one ViewerSession per editor panel. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../context';
import { ViewerSession } from './session';
import { explainForSession } from './explain';
import { decodeCacheDir } from '../../webviewChecks';

export const VIEWER_VIEW_TYPE = 'medstudio.viewer';
/** The same editor for PNG/JPEG, offered under "Open With…" only. */
export const IMAGE_VIEWER_VIEW_TYPE = 'medstudio.viewer.image';

export class ViewerEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly svc: ExtensionServices) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const session = new ViewerSession(document.uri, panel, this.svc, (s) => explainForSession(this.svc, s));
    panel.onDidDispose(() => session.dispose());
  }
}

/** Decoded volumes left behind by a window that crashed (open viewers delete their own). */
function pruneDecodeCache(dir: string, maxAgeMs = 24 * 3600_000): void {
  fs.readdir(dir, (err, names) => {
    if (err) return;
    for (const n of names) {
      const p = path.join(dir, n);
      fs.stat(p, (e, st) => {
        if (!e && Date.now() - st.mtimeMs > maxAgeMs) fs.rm(p, { force: true }, () => undefined);
      });
    }
  });
}

export function registerViewerEditors(svc: ExtensionServices): vscode.Disposable[] {
  pruneDecodeCache(decodeCacheDir(svc.context).fsPath);
  const provider = new ViewerEditorProvider(svc);
  // Not retained when hidden (a CT is hundreds of MB): the webview restores its state instead.
  const options = { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true };
  return [
    vscode.window.registerCustomEditorProvider(VIEWER_VIEW_TYPE, provider, options),
    vscode.window.registerCustomEditorProvider(IMAGE_VIEWER_VIEW_TYPE, provider, options),
  ];
}
