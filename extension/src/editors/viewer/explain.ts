/**
 * "Explain This Image" for a viewer: pick a trained run (one the server lists with a saved
 * model/model.json, wherever its runs folder is) and a method, ask the compute server, show the heatmap on top. Kernel interpretation
 * streams its evolving image (KernelProgressNotification), relayed while it optimises.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { GradCamRequest, KernelInterpretRequest, KernelProgressNotification, TopKernelsRequest } from '../../../../server/src/protocol';
import type { ExtensionServices } from '../../context';
import type { ViewerSession } from './session';
import { pickRun, runsHolding } from '../../runs/pickRun';
import { singleChannel } from './overlayPixels';

let streamCounter = 0;

/** `runDir`: a run chosen elsewhere (the training status panel); otherwise the person picks one. */
export async function explainForSession(svc: ExtensionServices, s: ViewerSession, runDir?: string): Promise<{ ok: boolean; message?: string }> {
  if (runDir && !fs.existsSync(path.join(runDir, 'model', 'model.json'))) {
    const message = `${path.basename(runDir)} has no saved model (model/model.json) to explain with.`;
    void vscode.window.showWarningMessage(message);
    return { ok: false, message };
  }
  let run: { label: string; dir: string };
  if (runDir) run = { label: path.basename(runDir), dir: runDir };
  else {
    const runs = await runsHolding(svc.server, 'model');
    if (!runs.length) {
      const message = 'No trained model found: "Explain This Image" needs a run that saved a model (model/model.json in a .medstudio/runs/<id> folder of this workspace). Train an experiment first.';
      void vscode.window.showWarningMessage(message);
      return { ok: false, message };
    }
    const picked = await pickRun(runs, { title: 'Explain this image with which run?', saved: (r) => r.modelSavedAt, alwaysAsk: true });
    if (!picked) return { ok: false, message: 'cancelled' };
    run = { label: picked.runId, dir: picked.runDir };
  }
  const method = await vscode.window.showQuickPick(
    [
      { label: 'Grad-CAM', value: 'gradcam' as const },
      { label: 'Grad-CAM++', value: 'gradcam++' as const },
      { label: 'Kernel interpretation', value: 'kernel' as const, detail: "Optimises an image that excites one kernel; shown while it runs" },
    ],
    { title: 'Explanation method' },
  );
  if (!method) return { ok: false, message: 'cancelled' };
  const target = { runDir: run.dir, imagePath: s.uri.fsPath };
  try {
    if (method.value === 'kernel') return await kernel(svc, s, target, run.label);
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${method.label} with ${run.label}…`, cancellable: true },
      (_p, token) => svc.server.request(GradCamRequest, { ...target, method: method.value }, token),
    );
    const p = r.probabilities[r.classIndex];
    s.sendOverlay({
      id: `gradcam:${run.label}`,
      kind: 'heatmap',
      name: `${method.label}: ${r.className}${p !== undefined ? ` (${(p * 100).toFixed(1)}%)` : ''}`,
      heat: r.heatmap,
      dims: r.dims,
      final: true,
      caption: `run ${run.label}, layer ${r.layer}`,
    });
    return { ok: true };
  } catch (e) {
    const message = `Explanation failed: ${e instanceof Error ? e.message : String(e)}`;
    void vscode.window.showErrorMessage(message);
    return { ok: false, message };
  }
}

async function kernel(svc: ExtensionServices, s: ViewerSession, target: { runDir: string; imagePath: string }, runId: string): Promise<{ ok: boolean; message?: string }> {
  const top = await svc.server.request(TopKernelsRequest, { ...target, count: 8 });
  const pick = await vscode.window.showQuickPick(
    top.kernels.map((k) => ({ label: `kernel ${k.index}`, description: `mean activation ${k.meanActivation.toFixed(3)}`, index: k.index })),
    { title: `Which kernel of ${top.layer}?` },
  );
  if (!pick) return { ok: false, message: 'cancelled' };
  const streamId = `viewer-${process.pid}-${++streamCounter}`;
  const id = `kernel:${runId}:${pick.index}`;
  const name = `Kernel ${pick.index} of ${top.layer}`;
  const relay = svc.server.onNotification(KernelProgressNotification, (p) => {
    if (p.streamId !== streamId || !p.image) return;
    s.sendOverlay({ id, kind: 'heatmap', name, heat: singleChannel(p.image, p.channels), dims: p.dims, final: false, caption: `step ${p.step}: L_sel ${p.lSel.toFixed(3)}, L_rest ${p.lRest.toFixed(3)}` });
  });
  try {
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${name}: optimising…`, cancellable: true },
      (_p, token) => svc.server.request(KernelInterpretRequest, { ...target, layer: top.layer, kernel: pick.index, streamId, streamEvery: 5 }, token),
    );
    s.sendOverlay({ id, kind: 'heatmap', name, heat: singleChannel(r.image, r.channels), dims: r.dims, final: true, caption: `${r.steps} steps (${r.stopped})` });
    return { ok: true };
  } finally {
    relay.dispose();
  }
}
