/**
 * Explain as a new user meets it: the run was trained from an experiment in a subfolder (so its
 * runs are in `<experiment folder>/.medstudio/runs/`), the image is open in VS Code's own image
 * preview, and the heatmap must still be there after the tab was hidden and shown again.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../../../server/src/protocol';
import { api, until, waitForJobEvent } from './helpers';

suite('Explain finds runs wherever they are', () => {
  test("a run trained next to its experiment explains the PNG open in VS Code's image preview, and the heatmap survives hiding the tab", async () => {
    const a = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const expDir = path.join(ws, 'explain-exp');
    fs.mkdirSync(expDir, { recursive: true });
    const exp = path.join(expDir, 'tiny.medstudio.yaml');
    fs.writeFileSync(
      exp,
      `method: supervised
data: { format: csv, path: ../samples/skin-lesions/labels.csv }
model: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }
train: { epochs: 1, batchSize: 32, lr: 0.003, seed: 4 }
`,
    );
    const job = (await vscode.commands.executeCommand('medstudio.train', vscode.Uri.file(exp))) as JobInfo;
    const ended = await waitForJobEvent('the training to end', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined));
    assert.equal(ended.state, 'finished', ended.error);
    assert.equal(path.dirname(ended.runDir), path.join(expDir, '.medstudio', 'runs'), 'the run went next to the experiment (no .git or package.json above it)');

    const images = path.join(ws, 'samples', 'skin-lesions', 'images');
    const image = vscode.Uri.file(path.join(images, fs.readdirSync(images).filter((f) => f.endsWith('.png')).sort()[0]!));
    await vscode.commands.executeCommand('vscode.open', image);
    const preview = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    assert.ok(preview instanceof vscode.TabInputCustom && preview.viewType === 'imagePreview.previewEditor', "the PNG is in VS Code's image preview");

    // No file dialog: the run and method pickers come up; take the first of each (the newest run, Grad-CAM), as Enter would.
    let done = false;
    const explained = (vscode.commands.executeCommand('medstudio.explain') as Thenable<{ ok: boolean; message?: string }>).then((r) => {
      done = true;
      return r;
    });
    while (!done) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
    }
    const r = await explained;
    assert.equal(r.ok, true, r.message);
    const id = `gradcam:${path.basename(ended.runDir)}`;
    await until('the heatmap in the viewer of that PNG', async () => ((await a.viewer.overlays(image.toString())).includes(id) ? true : undefined));

    // Hide the viewer's tab behind the experiment file, then show it again.
    await vscode.window.showTextDocument(vscode.Uri.file(exp));
    await vscode.commands.executeCommand('vscode.openWith', image, 'medstudio.viewer.image');
    await a.viewer.whenRendered(image.toString(), 60_000);
    assert.ok((await a.viewer.overlays(image.toString())).includes(id), 'the heatmap is back after the tab was shown again');

    // The experiment file's CodeLens "Explain", then "Grad-CAM++": the viewer comes forward with
    // the heatmap (it used to stay hidden behind the experiment file, so nothing seemed to happen).
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(exp));
    await vscode.window.showTextDocument(doc);
    const lenses = await until('the experiment file\'s CodeLenses', async () => {
      const l = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 10)) as vscode.CodeLens[];
      return l.find((c) => c.command?.title === 'Explain') ? l : undefined;
    });
    const lens = lenses.find((c) => c.command?.title === 'Explain')!.command!;
    assert.equal(lens.arguments?.[0], ended.runDir, 'the lens names the run it explains');
    let lensDone = false;
    const viaLens = (vscode.commands.executeCommand(lens.command, ...(lens.arguments ?? [])) as Thenable<{ ok: boolean; message?: string }>).then((res) => {
      lensDone = true;
      return res;
    });
    await new Promise((res) => setTimeout(res, 1000));
    await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    while (!lensDone) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((res) => setTimeout(res, 300));
    }
    const viaLensResult = await viaLens;
    assert.equal(viaLensResult.ok, true, viaLensResult.message);
    const front = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    assert.ok(front instanceof vscode.TabInputCustom && front.uri.toString() === image.toString(), 'the viewer with the heatmap is in front, not the experiment file');
    // The command resolves once the server answered; the webview applies the overlay a moment later
    // (on a loaded host this was missed once: 32 of 33 passed, the same test passed alone).
    await until('the Grad-CAM++ heatmap in the viewer', async () => ((await a.viewer.overlays(image.toString())).includes(id) ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
