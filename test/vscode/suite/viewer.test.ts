/**
 * The volume viewer inside a real VS Code host: a NIfTI from the bundled samples opens in the
 * `medstudio.viewer` custom editor and its webview draws the first slice; the compute
 * server decodes the formats the webview does not parse (NRRD here).
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MedStudioApi } from '../../../extension/src/extension';

async function api(): Promise<MedStudioApi> {
  const ext = vscode.extensions.getExtension<MedStudioApi>('medstudio.medstudio');
  assert.ok(ext, 'the MedStudio extension is installed in the host');
  return ext.isActive ? ext.exports : await ext.activate();
}

function firstSampleVolume(): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders?.[0];
  assert.ok(ws, 'the host opened a workspace');
  const dir = path.join(ws.uri.fsPath, 'samples', 'ct-nodules', 'volumes');
  assert.ok(fs.existsSync(dir), `${dir} exists (npm run samples generates it)`);
  const first = fs.readdirSync(dir).filter((f) => f.endsWith('.nii.gz')).sort()[0];
  assert.ok(first, `a .nii.gz in ${dir}`);
  return vscode.Uri.file(path.join(dir, first));
}

suite('Volume viewer in a real VS Code host', () => {
  test('a sample CT opens in the MedStudio viewer and its webview draws the first slice', async () => {
    const a = await api();
    const uri = firstSampleVolume();
    await vscode.commands.executeCommand('vscode.openWith', uri, 'medstudio.viewer');
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    assert.ok(input instanceof vscode.TabInputCustom, 'the active tab is a custom editor');
    assert.equal(input.viewType, 'medstudio.viewer');
    assert.equal(input.uri.fsPath, uri.fsPath);
    const info = await a.viewer.whenRendered(uri.toString(), 60_000);
    assert.ok(info.firstSliceMs !== undefined && info.firstSliceMs > 0, 'the webview reported its first slice');
    assert.equal(info.error, undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('an NRRD is decoded by the compute server and shown (the decoded voxels reach the webview)', async () => {
    const a = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = path.join(ws, 'viewer-host-test.nrrd');
    const data = new Int16Array(12 * 10 * 6).map((_, i) => i % 300);
    const head = 'NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 12 10 6\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nendian: little\nencoding: raw\nspace origin: (0,0,0)\n\n';
    fs.writeFileSync(file, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(data.buffer)]));
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'medstudio.viewer');
    const info = await a.viewer.whenRendered(uri.toString(), 90_000);
    assert.equal(info.error, undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(file, { force: true });
  });

  test('"Explain This Image" from a viewer refuses a run without a saved model, saying so', async () => {
    const a = await api();
    const uri = firstSampleVolume();
    await vscode.commands.executeCommand('vscode.openWith', uri, 'medstudio.viewer');
    await a.viewer.whenRendered(uri.toString(), 60_000);
    const runDir = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.medstudio', 'runs', 'not-trained');
    const r = (await vscode.commands.executeCommand('medstudio.explain', runDir)) as { ok: boolean; message?: string };
    assert.equal(r.ok, false);
    assert.match(r.message ?? '', /not-trained has no saved model/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('"Open in Viewer" opens the file it is given in the viewer', async () => {
    const a = await api();
    const uri = firstSampleVolume();
    await vscode.commands.executeCommand('medstudio.openViewer', uri);
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    assert.ok(input instanceof vscode.TabInputCustom && input.viewType === 'medstudio.viewer', 'opened in the viewer');
    await a.viewer.whenRendered(uri.toString(), 60_000);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
