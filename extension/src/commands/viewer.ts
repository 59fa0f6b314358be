/** The volume viewer: its custom editors and the commands Open in Viewer, Open DICOM Folder, Explain This Image. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { explainForSession } from '../editors/viewer/explain';
import { dicomFilesIn } from '../editors/viewer/paths';
import { IMAGE_VIEWER_VIEW_TYPE, registerViewerEditors, VIEWER_VIEW_TYPE } from '../editors/viewer/provider';
import { activeSession, sessionFor, viewerApi } from '../editors/viewer/registry';
import type { ViewerSession } from '../editors/viewer/session';

export const IMAGE_FILTERS = { 'Medical images': ['nii', 'gz', 'nrrd', 'nhdr', 'mha', 'mhd', 'dcm', 'png', 'jpg', 'jpeg'] };

function activeFileUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
}

const IMAGE_FILE = new RegExp(`\\.(${IMAGE_FILTERS['Medical images'].join('|')})$`, 'i');

/**
 * The image in the active tab, whoever shows it: VS Code's own image preview (a custom editor),
 * a text tab, or a viewer. Explain uses it instead of asking for a file.
 */
export function activeImageUri(): vscode.Uri | undefined {
  const uri = activeFileUri();
  return uri?.scheme === 'file' && IMAGE_FILE.test(uri.fsPath) ? uri : undefined;
}

/** PNG/JPEG open in the viewer's image editor (the volume editor does not claim them). */
const viewTypeFor = (uri: vscode.Uri) => (/\.(png|jpe?g)$/i.test(uri.fsPath) ? IMAGE_VIEWER_VIEW_TYPE : VIEWER_VIEW_TYPE);

/** The viewer of `target`, opened (or found) and drawn; an error is shown and returned. */
export async function openInViewer(target: vscode.Uri, what: string): Promise<{ session: ViewerSession } | { message: string }> {
  const open = sessionFor(target.toString()) as ViewerSession | undefined;
  if (open) return { session: open };
  await vscode.commands.executeCommand('vscode.openWith', target, viewTypeFor(target));
  try {
    await viewerApi.whenRendered(target.toString(), 120_000);
  } catch (e) {
    const message = `${what}: ${path.basename(target.fsPath)} did not open in the viewer (${e instanceof Error ? e.message : String(e)})`;
    void vscode.window.showErrorMessage(message);
    return { message };
  }
  const session = sessionFor(target.toString()) as ViewerSession | undefined;
  return session ? { session } : { message: 'the viewer closed' };
}

export function registerViewerCommands(svc: ExtensionServices): vscode.Disposable[] {
  return [
    ...registerViewerEditors(svc),
    vscode.commands.registerCommand(COMMANDS.openViewer, async (uri?: vscode.Uri) => {
      let target = uri instanceof vscode.Uri ? uri : activeFileUri();
      if (!target || target.scheme !== 'file') {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: IMAGE_FILTERS, openLabel: 'Open in Viewer' });
        target = picked?.[0];
      }
      if (target) await vscode.commands.executeCommand('vscode.openWith', target, VIEWER_VIEW_TYPE);
    }),
    vscode.commands.registerCommand(COMMANDS.openDicomFolder, async (uri?: vscode.Uri) => {
      let folder = uri instanceof vscode.Uri ? uri : undefined;
      if (!folder) {
        const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Open DICOM Folder' });
        folder = picked?.[0];
      }
      if (!folder) return;
      const files = dicomFilesIn(folder.fsPath);
      if (!files.length) {
        void vscode.window.showErrorMessage(`No DICOM files in ${path.basename(folder.fsPath)} (looked for .dcm files and the DICM preamble).`);
        return;
      }
      // Opening one file of the series opens the whole series (the viewer reads its folder).
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(files[0]!), VIEWER_VIEW_TYPE);
    }),
    // From the viewer (its button or the palette), a CodeLens or the training status panel with a
    // run. Every outcome is returned (tests) and, unless the person cancelled, shown.
    vscode.commands.registerCommand(COMMANDS.explain, async (runDir?: unknown) => {
      const run = typeof runDir === 'string' ? runDir : undefined;
      const image = activeImageUri();
      let s = (image ? sessionFor(image.toString()) : activeSession()) as ViewerSession | undefined;
      if (!s) {
        const target =
          image ??
          (
            await vscode.window.showOpenDialog({
              canSelectMany: false,
              filters: IMAGE_FILTERS,
              defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
              openLabel: 'Explain this image',
              title: 'Which image should the model explain?',
            })
          )?.[0];
        if (!target) return { ok: false, message: 'cancelled' };
        const opened = await openInViewer(target, 'Explain');
        if ('message' in opened) return { ok: false, message: opened.message };
        s = opened.session;
      }
      // A CodeLens click leaves the viewer behind the experiment file: bring it forward to show the result.
      s.reveal();
      return explainForSession(svc, s, run);
    }),
  ];
}
