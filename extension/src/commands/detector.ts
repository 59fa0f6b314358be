/**
 * The annotator's detector loop from the palette: "Label Next Image by Detector Uncertainty"
 * (the server ranks the open box file's unlabelled images by how unsure a detection run is about
 * them; the most uncertain one is shown with the detector's suggestions to accept or reject) and
 * "Retrain Detector" (trains a detection run's experiment again, on the boxes saved since).
 */
import * as vscode from 'vscode';
import { RankByUncertaintyRequest } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';
import { pickDetectionRun, type AnnotatorEditorProvider } from '../editors/annotator/provider';
import { pickRun, runsHolding } from '../runs/pickRun';

/** An image is unlabelled when it has no box of any kind and no review decision. */
function unlabelledImages(doc: ReturnType<AnnotatorEditorProvider['active']>): { id: number; file_name: string }[] {
  const st = doc?.doc.session.state();
  const ds = st?.dataset;
  if (!ds) return [];
  const boxed = new Set(ds.annotations.map((a) => a.image_id));
  const reviewed = new Set(Object.keys(st.review ?? {}).map(Number));
  return ds.images.filter((im) => !boxed.has(im.id) && !reviewed.has(im.id));
}

export async function labelNextByUncertainty(svc: ExtensionServices, provider: AnnotatorEditorProvider): Promise<void> {
  const active = provider.active();
  if (!active) {
    void vscode.window.showInformationMessage('Open a box file in the MedStudio annotator (Annotate Dataset) first.');
    return;
  }
  if (!vscode.workspace.isTrusted) throw new Error('ranking images runs a model: trust this workspace first');
  const todo = unlabelledImages(active);
  const channel = active.doc.panels.get(active.panel)?.channel;
  if (!todo.length) {
    channel?.emit('notice', { level: 'info', message: 'every image has boxes or a review decision: nothing left to label' });
    return;
  }
  const runDir = await pickDetectionRun(svc.server);
  if (!runDir) return;
  const paths = await Promise.all(todo.map((im) => active.doc.imagePath(im.file_name)));
  const { images } = await svc.server.request(RankByUncertaintyRequest, { runDir, imagePaths: paths });
  const first = images[0];
  const im = first && todo[paths.indexOf(first.imagePath)];
  if (!first || !im) throw new Error('the server ranked none of the unlabelled images');
  channel?.emit('showImage', { imageId: im.id });
  const categoryId = active.doc.session.state().dataset?.categories[0]?.id;
  if (categoryId === undefined) throw new Error('the box file has no classes');
  const r = await active.doc.session.suggestFrom(im.id, categoryId, 'model', runDir);
  const why = `the detector is least sure about ${im.file_name} (top score ${first.topScore.toFixed(2)}) of ${todo.length} unlabelled image(s)`;
  channel?.emit('notice', r.ok ? { level: 'info', message: `${why}: ${r.ids?.length ?? 0} suggested box(es) to accept (a) or reject (r)` } : { level: 'warning', message: `${why}; ${r.message ?? 'no suggestions'}` });
}

export async function retrainDetector(svc: ExtensionServices): Promise<void> {
  const runs = (await runsHolding(svc.server, 'detector')).filter((r) => r.experimentPath);
  if (!runs.length) throw new Error("no finished detection run in this workspace: train a 'method: detect' experiment first");
  const run = await pickRun(runs, { title: 'Retrain the detector of which run (its experiment, on the boxes saved now)?', saved: (r) => r.modelSavedAt });
  if (!run) return;
  // Boxes accepted in an open annotator count only once saved.
  await vscode.workspace.saveAll(false);
  await vscode.commands.executeCommand(COMMANDS.train, vscode.Uri.file(run.experimentPath));
}
