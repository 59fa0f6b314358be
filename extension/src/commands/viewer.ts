/** The volume viewer: its custom editors and the commands Open in Viewer, Open DICOM Folder, Explain This Image. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { explainForSession } from '../editors/viewer/explain';
import { dicomFilesIn } from '../editors/viewer/paths';
import { registerViewerEditors, VIEWER_VIEW_TYPE } from '../editors/viewer/provider';
import { activeSession } from '../editors/viewer/registry';
import type { ViewerSession } from '../editors/viewer/session';

const IMAGE_FILTERS = { 'Medical images': ['nii', 'gz', 'nrrd', 'nhdr', 'mha', 'mhd', 'dcm', 'png', 'jpg', 'jpeg'] };

function activeFileUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
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
    vscode.commands.registerCommand(COMMANDS.explain, async () => {
      const s = activeSession() as ViewerSession | undefined;
      if (!s) {
        void vscode.window.showInformationMessage('Open an image in the MedStudio viewer first, then run "Explain This Image" from it.');
        return { ok: false, message: 'no active viewer' };
      }
      return explainForSession(svc, s);
    }),
  ];
}
