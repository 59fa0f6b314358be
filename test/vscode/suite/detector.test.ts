/**
 * The detector loop in a real VS Code host: a tiny `method: detect` experiment on the bundled skin
 * samples' boxes trains from the palette, its detector's boxes arrive in the annotator as
 * suggestions with source model and a score, and "Label Next Image by Detector Uncertainty" shows
 * an unlabelled image with the detector's suggestions on it; "Retrain Detector" trains the run's
 * experiment again; "Explain This Image" with the detector run shows its Grad-CAM in the viewer.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../../../server/src/protocol';
import { api, autoSaveOffForSuite, until, waitForJobEvent as waitFor } from './helpers';

/** Images 1-64 of the skin samples with their boxes, 65-68 without (unlabelled). */
function makeBoxFile(ws: string): { uri: vscode.Uri; unlabelled: number[] } {
  const src = JSON.parse(fs.readFileSync(path.join(ws, 'samples', 'skin-lesions', 'boxes.coco.json'), 'utf8')) as {
    images: { id: number }[];
    annotations: { image_id: number }[];
    categories: unknown[];
  };
  const images = src.images.filter((im) => im.id <= 68);
  const unlabelled = images.filter((im) => im.id > 64).map((im) => im.id);
  const annotations = src.annotations.filter((a) => a.image_id <= 64);
  const file = path.join(ws, 'samples', 'skin-lesions', `detect-host-${Date.now()}.coco.json`);
  fs.writeFileSync(file, JSON.stringify({ images, annotations, categories: src.categories }));
  return { uri: vscode.Uri.file(file), unlabelled };
}

suite('Lesion detector and its suggestions in a real VS Code host', () => {
  autoSaveOffForSuite();
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test("a tiny detector trained from the palette suggests boxes with source model and score, the uncertainty queue shows an unlabelled image with its suggestions, and Retrain Detector trains it again", async () => {
    const a = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const { uri, unlabelled } = makeBoxFile(ws);
    const exp = path.join(ws, 'detect-host.medstudio.yaml');
    fs.writeFileSync(
      exp,
      `method: detect
data: { format: coco, path: ${path.relative(ws, uri.fsPath)} }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 32 }
train: { epochs: 6, batchSize: 16, lr: 0.01, seed: 1 }
`,
    );
    const job = (await vscode.commands.executeCommand('medstudio.train', vscode.Uri.file(exp))) as JobInfo;
    assert.ok(job?.id, 'Train Experiment returns the queued job');
    const ended = await waitFor('the detector to finish training', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined));
    assert.equal(ended.state, 'finished', ended.error);
    assert.ok(fs.existsSync(path.join(ended.runDir, 'predictions.coco.json')), 'the run wrote its test predictions as COCO');

    await vscode.commands.executeCommand('vscode.openWith', uri, 'medstudio.annotator');
    await a.annotator.whenReady(uri.toString());
    const first = unlabelled[0]!;
    const r = await a.annotator.suggest(uri.toString(), first, 'model');
    assert.ok(r.ok, r.message);
    const added = a.annotator.state(uri.toString())?.dataset?.annotations.filter((b) => r.ids?.includes(b.id)) ?? [];
    assert.ok(added.length >= 1, 'the detector suggested at least one box');
    for (const b of added) {
      assert.equal(b.image_id, first);
      assert.equal(b.source, 'model');
      assert.ok(b.score !== undefined && b.score >= 0.05 && b.score <= 1, `score ${b.score}`);
      assert.equal(b.accepted, undefined, 'a suggestion waits for review');
    }

    // The queue: the rest of the unlabelled images, ranked by the server; the most uncertain one gets suggestions.
    await vscode.commands.executeCommand('medstudio.labelNextByUncertainty');
    const next = await until('suggestions on another unlabelled image', () => {
      const anns = a.annotator.state(uri.toString())?.dataset?.annotations ?? [];
      const on = anns.filter((b) => b.source === 'model' && b.image_id !== first && unlabelled.includes(b.image_id));
      return on.length ? on : undefined;
    });
    assert.ok(next.every((b) => b.image_id === next[0]!.image_id), 'one image at a time');
    // Retrain Detector: saves the box file (its suggestions are not ground truth until accepted) and trains the run's experiment again, as a new run.
    const again = waitFor('the retrained detector to finish', a, (e) => (e.kind === 'state' && e.job.experimentPath === exp && e.job.id !== job.id && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined));
    await vscode.commands.executeCommand('medstudio.retrainDetector');
    const retrained = await again;
    assert.equal(retrained.state, 'finished', retrained.error);
    assert.notEqual(retrained.runDir, ended.runDir);
    const saved = JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')) as { annotations: { source: string; image_id: number }[] };
    assert.ok(saved.annotations.some((b) => b.source === 'model' && b.image_id === first), 'the box file was saved before retraining');

    // Explain This Image from the palette with the detector run: Grad-CAM on its feature map, over the image in the viewer.
    const images = path.join(ws, 'samples', 'skin-lesions', 'images');
    const image = vscode.Uri.file(path.join(images, fs.readdirSync(images).filter((f) => f.endsWith('.png')).sort()[0]!));
    await vscode.commands.executeCommand('vscode.openWith', image, 'medstudio.viewer.image');
    await a.viewer.whenRendered(image.toString(), 60_000);
    let done = false;
    const explained = (vscode.commands.executeCommand('medstudio.explain', ended.runDir) as Thenable<{ ok: boolean; message?: string }>).then((res) => {
      done = true;
      return res;
    });
    // The method picker: the first item (Grad-CAM), as Enter would.
    while (!done) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((res) => setTimeout(res, 300));
    }
    const ex = await explained;
    assert.equal(ex.ok, true, ex.message);
    const id = `gradcam:${path.basename(ended.runDir)}`;
    await until("the detector's Grad-CAM over the image in the viewer", async () => ((await a.viewer.overlays(image.toString())).includes(id) ? true : undefined));
  });
});
