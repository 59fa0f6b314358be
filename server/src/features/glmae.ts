/**
 * Answers GlmaeReconstructionRequest: a GL-MAE run's view of a volume (original, masked input,
 * reconstruction, mask) for the viewer to show side by side. The last run's model stays loaded.
 */
import * as fs from 'node:fs';
import { invalidParams, onRequest } from '../lsp/typed';
import { GlmaeReconstructionRequest } from '../protocol';
import { type LoadedGlmae, glmaeModelFile, loadGlmaeRun, readVolumeForModel, reconstruct } from '../methods/glmae/reconstruct';
import { requestPath } from './paths';
import type { ServerFeature } from './types';

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

let cached: { runDir: string; mtimeMs: number; loaded: LoadedGlmae } | undefined;

function modelOf(runDir: string): LoadedGlmae {
  const mtimeMs = fs.statSync(glmaeModelFile(runDir)).mtimeMs;
  if (cached && cached.runDir === runDir && cached.mtimeMs === mtimeMs) return cached.loaded;
  cached?.loaded.model.dispose();
  cached = undefined;
  const loaded = loadGlmaeRun(runDir);
  cached = { runDir, mtimeMs, loaded };
  return loaded;
}

export const glmaeFeature: ServerFeature = {
  name: 'glmae',
  register(ctx) {
    onRequest(ctx.connection, GlmaeReconstructionRequest, async (p) => {
      const runDir = requestPath(ctx, p.runDir, 'runDir', 'read');
      const volumePath = requestPath(ctx, p.volumePath, 'volumePath', 'read');
      if (!fs.existsSync(glmaeModelFile(runDir))) invalidParams(`runDir: ${p.runDir} is not a finished GL-MAE run (no model/glmae.json)`);
      if (!fs.existsSync(volumePath)) invalidParams(`volumePath: ${p.volumePath}: not found`);
      const status = await ctx.engine();
      const loaded = modelOf(runDir);
      const size = loaded.options.encoder.inputSize;
      const volume = await readVolumeForModel(volumePath, size);
      const ratio = p.maskRatio ?? loaded.options.maskRatio;
      const r = await reconstruct(loaded, volume, ratio, p.seed ?? 1);
      return {
        dims: [size, size, size],
        original: b64(r.original),
        masked: b64(r.masked),
        reconstruction: b64(r.reconstruction),
        mask: b64(r.mask),
        patchSize: loaded.options.encoder.patchSize,
        maskRatio: ratio,
        maskedMse: r.maskedMse,
        backend: status.backend,
      };
    });
  },
};
