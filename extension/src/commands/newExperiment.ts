/**
 * "New Experiment from Template": CARE, GL-MAE, DisCo (and the rest) on the bundled samples.
 * The samples are copied into the workspace once (a few MB) so the experiment's relative paths
 * work and the user owns the files.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { requireTrust } from './jobs';
import { writeFileAtomic } from '../../../server/src/data/atomicWrite';

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
    vscode.commands.registerCommand(COMMANDS.newExperiment, async (templateName?: string) => {
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
      // Reuse the workspace's own samples/ when it has them (e.g. this repository), else copy them once.
      const wsRoot = ws.uri.fsPath;
      const ownSamples = path.join(wsRoot, 'samples');
      const samplesRoot = fs.existsSync(path.join(ownSamples, 'experiments')) ? ownSamples : path.join(wsRoot, 'medstudio-samples');
      if (!fs.existsSync(samplesRoot)) {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'MedStudio: copying the sample datasets into the workspace…' }, async () =>
          fs.promises.cp(bundled, samplesRoot, { recursive: true, filter: (src) => !/[\\/](src|generate\.ts)$/.test(src) }),
        );
      }
      const base = path.basename(pick.file).replace('.medstudio.yaml', '');
      let target = path.join(samplesRoot, 'experiments', `${base}.medstudio.yaml`);
      for (let n = 2; fs.existsSync(target); n++) target = path.join(samplesRoot, 'experiments', `${base}-${n}.medstudio.yaml`);
      await writeFileAtomic(target, await fs.promises.readFile(pick.file));
      await vscode.window.showTextDocument(vscode.Uri.file(target));
      return target;
    }),
  ];
}
