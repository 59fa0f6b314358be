/**
 * Explanations over LSP: the layers of a run's model, Grad-CAM / Grad-CAM++ heatmaps on the
 * image's voxel grid, the most active kernels of a layer, and kernel interpretation, which
 * streams its evolving image (KernelProgressNotification), reports LSP work-done progress and
 * stops within one step of a $/cancelRequest (the last image is returned and streamed).
 */
import type { CancellationToken, Connection, WorkDoneProgressReporter, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { ExplainLayersRequest, GradCamRequest, KernelInterpretRequest, KernelProgressNotification, TopKernelsRequest, type ExplainTarget } from '../protocol';
import { onRequest, sendNotification } from '../lsp/typed';
import { requestPath } from './paths';
import { float32ToBase64 } from '../explain/encode';
import { Explainer } from '../explain/explainer';
import type { ServerContext, ServerFeature } from './types';

/** The run and image of an explanation, confined to the workspace (the schema checked their types). */
function checkTarget(ctx: ServerContext, t: ExplainTarget): ExplainTarget {
  return { ...t, runDir: requestPath(ctx, t.runDir, 'runDir', 'read'), imagePath: requestPath(ctx, t.imagePath, 'imagePath', 'read') };
}

/** Work-done progress: the client's token if it sent one, else one the server creates (if the client allows). */
async function progressFor(connection: Connection, token: string | number | undefined): Promise<WorkDoneProgressReporter | WorkDoneProgressServerReporter | undefined> {
  if (token !== undefined) return connection.window.attachWorkDoneProgress(token);
  try {
    return await connection.window.createWorkDoneProgress();
  } catch {
    return undefined;
  }
}

function serverCancelled(p: WorkDoneProgressReporter | WorkDoneProgressServerReporter | undefined): boolean {
  return Boolean(p && 'token' in p && p.token.isCancellationRequested);
}

export const explainFeature: ServerFeature = {
  name: 'explain',
  register(ctx) {
    const explainer = new Explainer();
    const { connection } = ctx;

    onRequest(connection, ExplainLayersRequest, async (p) => {
      const runDir = requestPath(ctx, p.runDir, 'runDir', 'read');
      await ctx.engine();
      return explainer.layers(runDir);
    });

    onRequest(connection, GradCamRequest, async (p) => {
      const t = checkTarget(ctx, p);
      await ctx.engine();
      const r = await explainer.gradCam({ ...t, classIndex: p.classIndex, method: p.method });
      return {
        heatmap: float32ToBase64(r.heatmap),
        dims: r.dims,
        classIndex: r.classIndex,
        className: r.className,
        probabilities: r.probabilities,
        classes: r.classes,
        layer: r.layer,
        method: r.method,
      };
    });

    onRequest(connection, TopKernelsRequest, async (p) => {
      const t = checkTarget(ctx, p);
      await ctx.engine();
      return explainer.topKernels({ ...t, count: p.count });
    });

    onRequest(connection, KernelInterpretRequest, async (p, token: CancellationToken) => {
      const t = checkTarget(ctx, p);
      await ctx.engine();
      const progress = await progressFor(connection, p.workDoneToken);
      progress?.begin(`Kernel ${p.kernel}: interpreting`, 0, 'starting', true);
      try {
        const r = await explainer.interpretKernel(
          { ...t, kernel: p.kernel, maxSteps: p.maxSteps, maxSeconds: p.maxSeconds, streamEvery: p.streamEvery, weights: p.weights },
          {
            isCancelled: () => token.isCancellationRequested || serverCancelled(progress),
            onProgress: (s) => {
              sendNotification(connection, KernelProgressNotification, {
                streamId: p.streamId,
                step: s.step,
                lSel: s.lSel,
                lRest: s.lRest,
                image: float32ToBase64(s.image),
                dims: s.dims,
                channels: s.channels,
              });
              progress?.report(Math.min(100, Math.round((100 * s.step) / s.maxSteps)), `step ${s.step}: L_sel ${s.lSel.toFixed(4)}, L_rest ${s.lRest.toFixed(4)}`);
            },
          },
        );
        return { image: float32ToBase64(r.image), dims: r.dims, steps: r.steps, lSel: r.lSel, lRest: r.lRest, stopped: r.stopped, channels: r.channels, layer: r.layer };
      } finally {
        progress?.done();
      }
    });
  },
};
