/**
 * The box annotator inside a real VS Code host: the custom editor opens a COCO file, a box drawn
 * through the webview lands in the file on Save, edits run on VS Code's undo stack, and unsaved
 * edits survive the hot-exit backup round trip.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { MedStudioApi } from '../../../extension/src/extension';
import { AnnotatorModel } from '../../../extension/src/editors/annotator/model';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import { parseSlicerRoi, voxelBoxToRoi } from '../../../server/src/formats/slicerRoi';
import { autoSaveOffForSuite } from './helpers';

const INPUT = `{
  "images": [
    { "id": 1, "file_name": "images/a.png", "width": 64, "height": 48 },
    { "id": 2, "file_name": "images/b.png", "width": 32, "height": 32 }
  ],
  "annotations": [
    { "id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 10, 10], "area": 100, "iscrowd": 0, "source": "manual" }
  ],
  "categories": [{ "id": 1, "name": "nevus" }, { "id": 2, "name": "melanoma" }]
}
`;

async function api(): Promise<MedStudioApi> {
  const ext = vscode.extensions.getExtension<MedStudioApi>('medstudio.medstudio');
  assert.ok(ext, 'the MedStudio extension is installed in the host');
  return ext.isActive ? ext.exports : await ext.activate();
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.fill(90);
  return PNG.sync.write(p);
}

/** A fresh dataset folder in the workspace: two images and a COCO file (or `coco` text). */
function makeDataset(name: string, coco = INPUT): { dir: string; uri: vscode.Uri } {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the host opened a workspace folder');
  const dir = path.join(root, `annotator-${name}-${Date.now()}`);
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'images', 'a.png'), png(64, 48));
  fs.writeFileSync(path.join(dir, 'images', 'b.png'), png(32, 32));
  const file = path.join(dir, 'boxes.coco.json');
  fs.writeFileSync(file, coco);
  return { dir, uri: vscode.Uri.file(file) };
}

function activeTabDirty(): boolean | undefined {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.isDirty;
}

async function openAnnotator(a: MedStudioApi, uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', uri, 'medstudio.annotator');
  await a.annotator.whenReady(uri.toString());
}

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

suite('Box annotator in a real VS Code host', () => {
  autoSaveOffForSuite();
  teardown(closeAll);

  test('a box drawn in the webview is saved to disk as standard COCO, atomically', async () => {
    const a = await api();
    const { dir, uri } = makeDataset('save');
    await openAnnotator(a, uri);
    const state = await a.annotator.drawInWebview(uri.toString(), 1, [10, 10, 20, 15]);
    assert.equal(state.dataset?.annotations.length, 2);
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to finish', () => (activeTabDirty() === false ? true : undefined));
    const expected = AnnotatorModel.fromText(INPUT);
    expected.apply({ kind: 'addBox', imageId: 1, bbox: [10, 10, 20, 15], categoryId: 1 });
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), expected.serialize());
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
  });

  test('Suggest Boxes asks the compute server: a saliency box arrives as a suggestion with its score', async () => {
    const a = await api();
    const { dir, uri } = makeDataset('suggest');
    // A dark image with one bright lesion, so saliency has something to find.
    const p = new PNG({ width: 64, height: 48 });
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++) {
        const v = Math.hypot(x - 40, y - 20) < 8 ? 230 : 30;
        p.data.set([v, v, v, 255], (y * 64 + x) * 4);
      }
    }
    fs.writeFileSync(path.join(dir, 'images', 'a.png'), PNG.sync.write(p));
    await openAnnotator(a, uri);
    const r = await a.annotator.suggest(uri.toString(), 1, 'saliency');
    assert.ok(r.ok, r.message);
    const added = a.annotator.state(uri.toString())?.dataset?.annotations.filter((b) => r.ids?.includes(b.id)) ?? [];
    assert.ok(added.length >= 1, 'at least one suggested box');
    for (const b of added) {
      assert.equal(b.source, 'saliency');
      assert.ok(b.score !== undefined && b.score >= 0 && b.score <= 1);
      assert.ok(b.bbox[0] >= 0 && b.bbox[0] + b.bbox[2] <= 64 && b.bbox[1] + b.bbox[3] <= 48, 'inside the image');
    }
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('revert to clear the dirty marker', () => (activeTabDirty() === false ? true : undefined));
  });

  test("a run's suspect labels open as the review queue and the decisions are saved in the box file", async () => {
    const a = await api();
    const { dir, uri } = makeDataset('review');
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const run = path.join(root, '.medstudio', 'runs', `care-review-${Date.now()}`);
    const cleaning = path.join(run, 'cleaning');
    fs.mkdirSync(cleaning, { recursive: true });
    // A run folder as training writes it: its run.json is what makes it a run.
    fs.writeFileSync(path.join(run, 'run.json'), JSON.stringify({ runId: path.basename(run), runDir: run, experimentPath: '', method: 'care', state: 'finished', createdAt: new Date().toISOString(), epoch: 1, epochs: 1 }));
    const report = { round: 1, scoring: 'loss', classes: ['nevus', 'melanoma'], flagged: 1, of: 2, suspects: [{ image: path.join(dir, 'images', 'a.png'), id: 'a', givenLabel: 'nevus', suggestedLabel: 'melanoma', score: 2.5 }] };
    fs.writeFileSync(path.join(cleaning, 'round-1.suspects.json'), JSON.stringify(report));
    await openAnnotator(a, uri);
    let opened: { count: number; unmatched: number } | undefined;
    const opening = a.annotator.openReviewQueue(uri.toString()).then((r) => (opened = r));
    // The person picks the newest report, first in the list, once the list is up.
    await until('the report list to be accepted', async () => {
      if (!opened) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return opened;
    });
    assert.deepEqual(await opening, { count: 1, unmatched: 0 });
    assert.deepEqual(a.annotator.state(uri.toString())?.queue.map((q) => [q.imageId, q.givenLabel, q.suggestedLabel]), [[1, 'nevus', 'melanoma']]);
    assert.ok((await a.annotator.edit(uri.toString(), { kind: 'review', imageId: 1, entry: { status: 'relabelled', label: 'melanoma' } })).ok);
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to finish', () => (activeTabDirty() === false ? true : undefined));
    const saved = JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')) as { info?: { medstudio?: { review?: unknown } } };
    assert.deepEqual(saved.info?.medstudio?.review, { '1': { status: 'relabelled', label: 'melanoma' } });
  });

  test('an image path outside the dataset and workspace is refused and not read', async () => {
    const a = await api();
    const escaping = INPUT.replace('images/b.png', '../../../../../../../../etc/hostname');
    const { uri } = makeDataset('escape', escaping);
    await openAnnotator(a, uri);
    assert.match(await a.annotator.imageRequest(uri.toString(), 1), /a\.png/, 'an image inside the dataset gets a webview URI');
    await assert.rejects(a.annotator.imageRequest(uri.toString(), 2), /outside the dataset folder and the workspace .* it was not read/);
  });

  test('Save As into another folder keeps the image paths pointing at the same images', async () => {
    const a = await api();
    const { dir, uri } = makeDataset('saveas');
    await openAnnotator(a, uri);
    const dest = vscode.Uri.file(path.join(dir, 'exports', 'copy.coco.json'));
    await a.annotator.saveAs(uri.toString(), dest);
    const copy = JSON.parse(fs.readFileSync(dest.fsPath, 'utf8')) as { images: { file_name: string }[] };
    assert.deepEqual(copy.images.map((i) => i.file_name), ['../images/a.png', '../images/b.png']);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), INPUT, 'the original file is untouched');
  });

  test("edits run on VS Code's undo/redo stack", async () => {
    const a = await api();
    const { uri } = makeDataset('undo');
    await openAnnotator(a, uri);
    const r = await a.annotator.edit(uri.toString(), { kind: 'setCategory', ids: [1], categoryId: 2 });
    assert.ok(r.ok);
    const category = () => a.annotator.state(uri.toString())?.dataset?.annotations.find((b) => b.id === 1)?.category_id;
    assert.equal(category(), 2);
    // Ctrl+Z goes to whatever has focus; the workbench may start with focus in the chat input.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await vscode.commands.executeCommand('undo');
    await until('undo to restore the class', () => (category() === 1 ? true : undefined));
    await vscode.commands.executeCommand('redo');
    await until('redo to apply it again', () => (category() === 2 ? true : undefined));
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('revert to clear the dirty marker', () => (activeTabDirty() === false ? true : undefined));
  });

  test('unsaved edits survive a hot-exit backup; Revert returns to the file on disk', async () => {
    const a = await api();
    const { dir, uri } = makeDataset('backup');
    await openAnnotator(a, uri);
    await a.annotator.drawInWebview(uri.toString(), 2, [1, 1, 8, 8]);
    await a.annotator.edit(uri.toString(), { kind: 'review', imageId: 2, entry: { status: 'reviewed' } });
    const pending = a.annotator.state(uri.toString());
    const restored = await a.annotator.backupAndRestore(uri.toString(), vscode.Uri.file(path.join(dir, '.backup-test.json')));
    assert.deepEqual(restored.state.dataset, pending?.dataset, 'the restored document holds every unsaved edit');
    assert.deepEqual(restored.state.review, { '2': { status: 'reviewed' } });
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), INPUT, 'the file itself was not touched');
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('revert to reload the file', () => (a.annotator.state(uri.toString())?.dataset?.annotations.length === 1 ? true : undefined));
    await closeAll();
    await openAnnotator(a, uri);
    assert.equal(a.annotator.state(uri.toString())?.dataset?.annotations.length, 1);
  });

  test('Annotate Dataset on a folder creates its boxes.coco.json from the images and opens it', async () => {
    const a = await api();
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const dir = path.join(root, `annotator-folder-${Date.now()}`);
    for (const [cls, w] of [['nevus', 20], ['melanoma', 30]] as const) {
      fs.mkdirSync(path.join(dir, cls), { recursive: true });
      fs.writeFileSync(path.join(dir, cls, `${cls}-1.png`), png(w, 10));
    }
    const opened = (await vscode.commands.executeCommand('medstudio.annotate', vscode.Uri.file(dir))) as vscode.Uri | undefined;
    assert.equal(opened?.fsPath, path.join(dir, 'boxes.coco.json'));
    const ds = JSON.parse(fs.readFileSync(opened.fsPath, 'utf8')) as { images: { file_name: string; width: number }[]; categories: { name: string }[] };
    assert.deepEqual(ds.images.map((i) => [i.file_name, i.width]), [['melanoma/melanoma-1.png', 30], ['nevus/nevus-1.png', 20]]);
    assert.deepEqual(ds.categories.map((c) => c.name), ['melanoma', 'nevus']);
    await a.annotator.whenReady(opened.toString());
  });

  test('Annotate Dataset on a volume opens its 3D boxes over the volume; a 3D box saves as a Slicer ROI', async () => {
    const a = await api();
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const dir = path.join(root, `annotator-volume-${Date.now()}`);
    fs.mkdirSync(dir, { recursive: true });
    const dims = [12, 10, 8];
    const data = new Int16Array(dims[0]! * dims[1]! * dims[2]!).map((_, i) => i % 97);
    const volume = path.join(dir, 'ct.nii');
    fs.writeFileSync(volume, encodeNifti({ data, dims, spacing: [1, 1, 2], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }));
    const opened = (await vscode.commands.executeCommand('medstudio.annotate', vscode.Uri.file(dir))) as vscode.Uri | undefined;
    assert.equal(opened?.fsPath, path.join(dir, 'ct.mrk.json'), 'the box file sits beside the volume');
    assert.deepEqual(parseSlicerRoi(fs.readFileSync(opened.fsPath, 'utf8')), [], 'created empty');
    const shown = await a.annotator.whenVolumeShown(opened.toString());
    assert.deepEqual(shown, { name: 'ct.nii', dims }, 'the webview loaded the volume through its webview URI');
    const roi = voxelBoxToRoi({ min: [1.5, 1.5, 2.5], max: [5.5, 4.5, 5.5] }, { origin: [0, 0, 0], spacing: [1, 1, 2], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, { label: 'R-1', source: 'manual', category: 'lesion' });
    assert.ok((await a.annotator.editRoi(opened.toString(), { kind: 'putRoi', index: null, roi })).ok);
    await until('the dirty marker', () => (activeTabDirty() ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to finish', () => (activeTabDirty() === false ? true : undefined));
    const saved = parseSlicerRoi(fs.readFileSync(opened.fsPath, 'utf8'));
    assert.deepEqual(saved.map((r) => [r.center, r.size, r.category]), [[[3.5, 3, 8], [4, 3, 6], 'lesion']]);
  });

  test("the CT samples' ground-truth boxes open over their volume (kept in a sibling folder), with their class", async () => {
    const a = await api();
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const ct = path.join(root, 'samples', 'ct-nodules');
    // Opening a box file finds its volume in volumes/ (no "put ct-002.nii.gz next to it").
    const box = vscode.Uri.file(path.join(ct, 'boxes', 'ct-002.mrk.json'));
    await vscode.commands.executeCommand('vscode.openWith', box, 'medstudio.annotator');
    const shown = await a.annotator.whenVolumeShown(box.toString());
    assert.equal(shown.name, 'ct-002.nii.gz');
    await closeAll();
    // Annotate Dataset on the CT experiment opens the existing boxes of the volume picked, not a new empty file.
    const experiment = vscode.Uri.file(path.join(root, 'samples', 'experiments', 'ct-segment.medstudio.yaml'));
    let opened: vscode.Uri | undefined;
    let done = false;
    const annotating = (vscode.commands.executeCommand('medstudio.annotate', experiment) as Thenable<vscode.Uri | undefined>).then((u) => {
      done = true;
      opened = u;
    });
    // The volume picker lists ct-001 first: take it, as Enter would.
    while (!done) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
    }
    await annotating;
    assert.equal(opened?.fsPath, path.join(ct, 'boxes', 'ct-001.mrk.json'));
    assert.ok(!fs.existsSync(path.join(ct, 'volumes', 'ct-001.mrk.json')), 'no empty box file was created beside the volume');
    assert.equal((await a.annotator.whenVolumeShown(opened.toString())).name, 'ct-001.nii.gz');
    const state = a.annotator.state(opened.toString());
    assert.equal(state?.rois?.length, 3, 'the three ground-truth nodules');
    assert.deepEqual(state?.roiClasses, ['nodule']);
    await closeAll();
  });

  test('a box file that does not parse opens with its error, refuses edits and is not overwritten', async () => {
    const a = await api();
    const bad = '{ "images": [ }';
    const { uri } = makeDataset('bad', bad);
    await openAnnotator(a, uri);
    assert.match(a.annotator.state(uri.toString())?.error ?? '', /boxes\.coco\.json: malformed JSON at line 1, column 15/);
    const r = await a.annotator.edit(uri.toString(), { kind: 'deleteBoxes', ids: [1] });
    assert.equal(r.ok, false);
    assert.equal(activeTabDirty(), false);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), bad);
  });
});
