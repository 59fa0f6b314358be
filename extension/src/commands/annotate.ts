/**
 * "MedStudio: Annotate Dataset" and "MedStudio: Suggest Boxes", plus the annotator editor's
 * registration. Annotate opens the box annotator on a COCO file, a dataset folder (finding or,
 * in a trusted workspace, creating its boxes.coco.json), an experiment's data, or a volume
 * (its `<name>.mrk.json` of 3D boxes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { serializeCoco } from '../../../server/src/formats/coco';
import { serializeSlicerRoi } from '../../../server/src/formats/slicerRoi';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { ANNOTATOR_VIEW_TYPE } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import { labelNextByUncertainty, retrainDetector } from './detector';
import type { ExtensionServices } from '../context';
import { listImages, scanDataset } from '../editors/annotator/datasetScan';
import { registerAnnotatorEditor, type AnnotatorEditorProvider } from '../editors/annotator/provider';
import { setAnnotatorProvider } from '../editors/annotator/testApi';
import { writeTextAtomic } from '../editors/annotator/writeAtomic';
import { findBoxFileFor } from '../editors/annotator/volumeBoxes';

export const DEFAULT_BOX_FILE = 'boxes.coco.json';

/** A user-facing failure: shown as an error message, not logged as a crash. */
class AnnotateError extends Error {}

function isExperiment(p: string): boolean {
  return /\.medstudio\.ya?ml$/i.test(p);
}

const NIFTI = /\.nii(\.gz)?$/i;

/** NIfTI volumes under `dir` (relative paths, sorted), at most a few thousand. */
function listVolumes(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || out.length >= 5000) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (NIFTI.test(e.name)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * The 3D box file of a volume: an existing `<name>.mrk.json` beside it or in a sibling folder
 * (the samples keep ground truth in boxes/), else a new empty one beside it.
 */
async function boxFileForVolume(volume: string): Promise<vscode.Uri> {
  const existing = findBoxFileFor(volume);
  if (existing) return vscode.Uri.file(existing);
  const mrk = volume.replace(NIFTI, '.mrk.json');
  if (!vscode.workspace.isTrusted) throw new AnnotateError(`creating ${path.basename(mrk)} needs a trusted workspace (Manage Workspace Trust).`);
  await writeTextAtomic(vscode.Uri.file(mrk), serializeSlicerRoi([]));
  return vscode.Uri.file(mrk);
}

/** Asks which volume of a folder to annotate (3D boxes), when it has more than one. */
async function pickVolume(dir: string, volumes: string[]): Promise<vscode.Uri | undefined> {
  const pick = volumes.length === 1 ? volumes[0] : await vscode.window.showQuickPick(volumes, { placeHolder: `Draw 3D boxes on which volume of ${path.basename(dir)}?` });
  return pick ? boxFileForVolume(path.join(dir, pick)) : undefined;
}

/**
 * The box file for a dataset folder: `cocoPath` if given, else boxes.coco.json, else the
 * folder's only *.coco.json (asking when there are several); created when there is none.
 */
async function boxFileFor(datasetDir: string, classes: readonly string[] | undefined, cocoPath?: string): Promise<vscode.Uri | undefined> {
  const target = cocoPath ?? path.join(datasetDir, DEFAULT_BOX_FILE);
  if (fs.existsSync(target)) return vscode.Uri.file(target);
  if (!cocoPath) {
    const others = fs.readdirSync(datasetDir).filter((f) => f.endsWith('.coco.json'));
    if (others.length === 1) return vscode.Uri.file(path.join(datasetDir, others[0]!));
    if (others.length > 1) {
      const pick = await vscode.window.showQuickPick(others, { placeHolder: `Which box file of ${path.basename(datasetDir)}?` });
      return pick ? vscode.Uri.file(path.join(datasetDir, pick)) : undefined;
    }
  }
  if (!cocoPath && listImages(datasetDir).length === 0) {
    const volumes = listVolumes(datasetDir);
    if (volumes.length) return pickVolume(datasetDir, volumes);
  }
  if (!vscode.workspace.isTrusted) {
    throw new AnnotateError(`${path.basename(datasetDir)} has no box file yet, and creating ${path.basename(target)} needs a trusted workspace (Manage Workspace Trust).`);
  }
  const { dataset, skipped } = scanDataset(datasetDir, path.dirname(target), classes);
  if (!dataset.images.length) throw new AnnotateError(`${datasetDir} has no PNG or JPEG images to annotate${skipped.length ? ` (${skipped.length} could not be read)` : ''}.`);
  if (fs.existsSync(target)) return vscode.Uri.file(target); // appeared meanwhile: never overwrite
  const uri = vscode.Uri.file(target);
  await writeTextAtomic(uri, serializeCoco(dataset));
  const names = dataset.categories.map((c) => c.name).join(', ');
  void vscode.window.showInformationMessage(
    `Created ${path.basename(target)}: ${dataset.images.length} images, classes ${names}${skipped.length ? `; ${skipped.length} unreadable images left out` : ''}.`,
  );
  return uri;
}

/** The box file an experiment's data points at (data.boxes.path, or the dataset's boxes.coco.json). */
async function boxFileForExperiment(file: string): Promise<vscode.Uri | undefined> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
  const r = parseExperiment(text, file);
  if (!r.experiment) {
    const first = r.problems.slice(0, 3).map((p) => `line ${p.start.line + 1}: ${p.message}`);
    throw new AnnotateError(`${path.basename(file)} has problems: ${first.join('; ')}`);
  }
  const { data } = r.experiment;
  if (data.format === 'npz') throw new AnnotateError(`${path.basename(file)} uses a MedMNIST .npz dataset: it holds arrays, not image files, so there is nothing to draw boxes on.`);
  if (data.format === 'volumes') {
    const dir = fs.statSync(data.path, { throwIfNoEntry: false })?.isDirectory() ? data.path : path.dirname(data.path);
    const volumes = listVolumes(dir);
    if (!volumes.length) throw new AnnotateError(`${dir} has no NIfTI volumes (.nii, .nii.gz) to draw 3D boxes on.`);
    return pickVolume(dir, volumes);
  }
  const dir = data.format === 'csv' ? path.dirname(data.path) : data.path;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new AnnotateError(`the dataset folder ${dir} of ${path.basename(file)} does not exist.`);
  return boxFileFor(dir, data.classes, data.boxes?.path);
}

async function pickTarget(): Promise<vscode.Uri | undefined> {
  const experiments = await vscode.workspace.findFiles('**/*.medstudio.{yaml,yml}', '**/node_modules/**', 50);
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri; choose?: 'folder' | 'file' };
  const items: Item[] = [
    ...experiments.map((uri) => ({ label: `$(beaker) ${path.basename(uri.fsPath)}`, description: vscode.workspace.asRelativePath(uri), uri })),
    { label: '$(folder) Choose a dataset folder…', choose: 'folder' },
    { label: '$(json) Choose a box file (COCO JSON)…', choose: 'file' },
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Annotate which dataset?' });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: pick.choose === 'file',
    canSelectFolders: pick.choose === 'folder',
    canSelectMany: false,
    ...(pick.choose === 'file' ? { filters: { 'COCO boxes': ['json'] } } : {}),
    openLabel: 'Annotate',
  });
  return chosen?.[0];
}

/** Opens the annotator for a folder, experiment or box file; returns the box file it opened. */
export async function annotate(arg?: vscode.Uri): Promise<vscode.Uri | undefined> {
  let target = arg instanceof vscode.Uri ? arg : undefined;
  if (!target) {
    const active = vscode.window.activeTextEditor?.document.uri;
    target = active && isExperiment(active.fsPath) ? active : await pickTarget();
  }
  if (!target) return undefined;
  if (target.scheme !== 'file') throw new AnnotateError('the annotator works on files on disk (file: URIs).');
  const stat = fs.statSync(target.fsPath, { throwIfNoEntry: false });
  if (!stat) throw new AnnotateError(`${target.fsPath} does not exist.`);
  const box = stat.isDirectory()
    ? await boxFileFor(target.fsPath, undefined)
    : isExperiment(target.fsPath)
      ? await boxFileForExperiment(target.fsPath)
      : NIFTI.test(target.fsPath)
        ? await boxFileForVolume(target.fsPath)
        : target;
  if (box) await vscode.commands.executeCommand('vscode.openWith', box, ANNOTATOR_VIEW_TYPE);
  return box;
}

async function suggestBoxes(provider: AnnotatorEditorProvider): Promise<void> {
  const active = provider.active();
  if (!active || active.imageId === undefined) {
    void vscode.window.showInformationMessage('Open a box file in the MedStudio annotator (Annotate Dataset) and pick an image first.');
    return;
  }
  const pick = await vscode.window.showQuickPick(['saliency', 'segmentation', 'model'], { placeHolder: 'Suggest boxes from… (model: a trained detection run)' });
  if (pick !== 'saliency' && pick !== 'segmentation' && pick !== 'model') return;
  const source = pick;
  const categoryId = active.doc.session.state().dataset?.categories[0]?.id;
  if (categoryId === undefined) throw new AnnotateError('the box file has no classes.');
  const r = await active.doc.session.handlers().suggest({ imageId: active.imageId, source, categoryId });
  const channel = active.doc.panels.get(active.panel)?.channel;
  channel?.emit('notice', r.ok ? { level: 'info', message: `${r.ids?.length ?? 0} suggested box(es) to review` } : { level: 'warning', message: r.message ?? 'no suggestions' });
}

function reportErrors<A extends unknown[], R>(svc: ExtensionServices, fn: (...a: A) => Promise<R>): (...a: A) => Promise<R | undefined> {
  return async (...a) => {
    try {
      return await fn(...a);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof AnnotateError)) svc.output.appendLine(`annotator: ${e instanceof Error ? (e.stack ?? message) : message}`);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  };
}

export function registerAnnotateCommands(svc: ExtensionServices): vscode.Disposable[] {
  const { provider, disposable } = registerAnnotatorEditor(svc);
  setAnnotatorProvider(provider);
  return [
    disposable,
    { dispose: () => setAnnotatorProvider(undefined) },
    vscode.commands.registerCommand(COMMANDS.annotate, reportErrors(svc, annotate)),
    vscode.commands.registerCommand(COMMANDS.suggestBoxes, reportErrors(svc, () => suggestBoxes(provider))),
    vscode.commands.registerCommand(COMMANDS.labelNextByUncertainty, reportErrors(svc, () => labelNextByUncertainty(svc, provider))),
    vscode.commands.registerCommand(COMMANDS.retrainDetector, reportErrors(svc, () => retrainDetector(svc))),
  ];
}
