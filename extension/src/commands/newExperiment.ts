/**
 * "New Experiment from Template": CARE, GL-MAE, DisCo (and the rest) on the bundled samples.
 * Asks where; copies only the sample datasets the template reads, beside the experiment, so its
 * paths work and the user owns the files; names the file after the method.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { requireTrust } from './jobs';
import { experimentFromTemplate } from '../experiments/fromTemplate';

interface Template {
  file: string;
  label: string;
  method: string;
}

function templates(samplesDir: string): Template[] {
  const dir = path.join(samplesDir, 'experiments');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.medstudio.yaml'))
    .sort()
    .map((f) => {
      const doc = parseDocument(fs.readFileSync(path.join(dir, f), 'utf8')).toJS() as { name?: string; method?: string } | null;
      return { file: path.join(dir, f), label: doc?.name ?? f.replace('.medstudio.yaml', ''), method: doc?.method ?? '?' };
    });
}

export function registerNewExperiment(svc: ExtensionServices): vscode.Disposable[] {
  return [
    // `templateName` and `folder` let callers (tests, a walkthrough) skip the two questions.
    vscode.commands.registerCommand(COMMANDS.newExperiment, async (templateName?: string, folder?: string) => {
      const ws = vscode.workspace.workspaceFolders?.[0];
      if (!ws) {
        void vscode.window.showWarningMessage('Open a folder first: MedStudio writes the experiment and its runs into the workspace.');
        return undefined;
      }
      if (!requireTrust('create files')) return undefined;
      const bundled = path.join(svc.context.extensionPath, 'samples');
      const list = templates(bundled);
      if (list.length === 0) throw new Error(`no experiment templates found in ${bundled}`);
      const pick = templateName
        ? list.find((t) => path.basename(t.file).startsWith(templateName))
        : (await vscode.window.showQuickPick(list.map((t) => ({ label: t.label, description: t.method, detail: path.basename(t.file), t })), { placeHolder: 'Experiment template (runs on the bundled samples)' }))?.t;
      if (!pick) return undefined;
      const where =
        typeof folder === 'string'
          ? folder
          : (
              await vscode.window.showOpenDialog({
                canSelectFiles: false,
                canSelectFolders: true,
                canSelectMany: false,
                defaultUri: ws.uri,
                openLabel: 'Create the experiment here',
                title: `Where should the ${pick.method} experiment go? (its sample data is copied beside it)`,
              })
            )?.[0]?.fsPath;
      if (!where) return undefined;
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'MedStudio: creating the experiment…' }, () =>
        experimentFromTemplate(pick.file, bundled, where, ws.uri.fsPath),
      );
      if (r.copied.length) void vscode.window.showInformationMessage(`MedStudio: copied the sample data ${r.copied.map((d) => vscode.workspace.asRelativePath(d)).join(', ')} for ${path.basename(r.file)}.`);
      await vscode.window.showTextDocument(vscode.Uri.file(r.file));
      return r.file;
    }),
  ];
}
