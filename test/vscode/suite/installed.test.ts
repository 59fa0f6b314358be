/**
 * The extension as installed from its .vsix (run.ts installs it into a fresh extensions folder):
 * it runs from there, its server starts and reports the compute backend (with the native kernels
 * when this machine built them), a tiny experiment trains to the end in its job worker, and
 * Grad-CAM puts a heatmap over an image in the viewer. A module the package left out fails here.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../../../server/src/protocol';
import { api, tinyExperiment, until, waitForJobEvent } from './helpers';

const installed = process.env.MEDSTUDIO_VSCODE_FROM !== 'dev';

suite('MedStudio installed from its .vsix', () => {
  test('the extension runs from the installed package, not a development folder', function () {
    if (!installed) this.skip();
    const ext = vscode.extensions.getExtension('medstudio.medstudio');
    assert.ok(ext, 'installed');
    assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'server', 'src')), `${ext.extensionPath} has no sources: it is the installed package`);
    assert.ok(fs.existsSync(path.join(ext.extensionPath, 'dist', 'server.js')));
  });

  test('its server starts and reports the compute status, with the native kernels when they were built', async () => {
    const a = await api();
    const status = await a.computeStatus();
    assert.ok(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'].includes(status.backend), status.backend);
    assert.notEqual(status.backend, 'cpu', `a packaged wasm backend loads (skipped: ${JSON.stringify(status.skipped)})`);
    const native = String(status.details.nativeKernels ?? '');
    console.log(`      compute: ${status.backend} on ${status.device}; native kernels: ${native || '(none)'}`);
    if (process.env.MEDSTUDIO_EXPECT_NATIVE === '1') assert.match(native, /oneDNN/, 'the addon built on this machine loads from the package');
  });

  test('a tiny experiment trains to the end, and Grad-CAM shows its heatmap over an image in the viewer', async () => {
    const a = await api();
    const job = (await vscode.commands.executeCommand('medstudio.train', tinyExperiment('installed-gradcam', 1))) as JobInfo;
    assert.ok(job?.id, 'Train Experiment returns the queued job');
    const ended = await waitForJobEvent('the job to end', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed', 'cancelled'].includes(e.job.state) ? e.job : undefined));
    assert.equal(ended.state, 'finished', ended.error);
    assert.ok(fs.existsSync(path.join(ended.runDir, 'model', 'model.json')), 'the model was saved');

    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const images = path.join(ws, 'samples', 'skin-lesions', 'images');
    const image = vscode.Uri.file(path.join(images, fs.readdirSync(images).filter((f) => f.endsWith('.png')).sort()[0]!));
    await vscode.commands.executeCommand('vscode.openWith', image, 'medstudio.viewer.image');
    await a.viewer.whenRendered(image.toString(), 60_000);
    // Explain asks for the method in a quick pick: take its first item (Grad-CAM), as Enter would.
    let done = false;
    const explained = (vscode.commands.executeCommand('medstudio.explain', ended.runDir) as Thenable<{ ok: boolean; message?: string }>).then((r) => {
      done = true;
      return r;
    });
    while (!done) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
    }
    const r = await explained;
    assert.equal(r.ok, true, r.message);
    const overlays = await until('the heatmap in the viewer', async () => {
      const o = await a.viewer.overlays(image.toString());
      return o.some((id) => id.startsWith('gradcam:')) ? o : undefined;
    });
    assert.ok(overlays.includes(`gradcam:${path.basename(ended.runDir)}`), `overlays shown: ${overlays.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
