/** Generates lesion boxes for a whole experiment's data (saliency or segmentation) as COCO for review. */
import * as path from 'node:path';
import { generateBoxesInto } from '../boxes/generate';
import { loadExperiment } from '../experiment/load';
import { GenerateBoxesRequest } from '../protocol';
import { invalidParams, onRequest } from '../lsp/typed';
import { experimentPath, requestPath } from './paths';
import type { ServerFeature } from './types';

export const generateBoxesFeature: ServerFeature = {
  name: 'generate-boxes',
  register(ctx) {
    onRequest(ctx.connection, GenerateBoxesRequest, async (p) => {
      if (!ctx.trusted()) invalidParams('box generation writes files: trust this workspace first');
      const expFile = experimentPath(ctx, p.experimentPath);
      const out = requestPath(ctx, p.out ?? path.join(path.dirname(expFile), `boxes.${p.source}.coco.json`), 'out', 'write');
      const exp = await loadExperiment(expFile);
      if (p.source === 'segmentation') await ctx.engine();
      const r = await generateBoxesInto(exp, p.source, out, { runDir: path.dirname(out), log: (l) => ctx.log(l) });
      ctx.log(r.message);
      return { file: r.file, boxes: r.boxes, source: p.source, mode: r.mode, message: r.message };
    });
  },
};
