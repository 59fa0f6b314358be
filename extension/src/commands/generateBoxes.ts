/** "Generate Boxes": saliency or segmentation boxes for an experiment's images, opened in the annotator for review. */
import * as vscode from 'vscode';
import { GenerateBoxesRequest } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { pickExperiment } from '../jobs/pickers';
import { requireTrust } from './jobs';

export function registerGenerateBoxes(svc: ExtensionServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.generateBoxes, async (arg?: unknown, sourceArg?: 'saliency' | 'segmentation') => {
      if (!requireTrust('generate boxes')) return undefined;
      const uri = await pickExperiment(arg);
      if (!uri) return undefined;
      const source =
        sourceArg ??
        (
          await vscode.window.showQuickPick(
            [
              { label: 'saliency', detail: 'Spectral-residual / frequency-tuned saliency, Otsu threshold, largest component (no model needed)' },
              { label: 'segmentation', detail: "A segmentation model's mask, largest component (needs data.boxes.model)" },
            ],
            { placeHolder: 'Where should the boxes come from?' },
          )
        )?.label;
      if (source !== 'saliency' && source !== 'segmentation') return undefined;
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `MedStudio: generating ${source} boxes…`, cancellable: true },
        (_p, token) => svc.server.request(GenerateBoxesRequest, { experimentPath: uri.fsPath, source }, token),
      );
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(result.file), 'medstudio.annotator');
      // Says whether the boxes were merged into a reviewed file (and what was kept) or written beside it.
      const say = result.mode === 'beside' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void say(`MedStudio: ${result.message}; review them in the annotator.`);
      return result;
    }),
  ];
}
