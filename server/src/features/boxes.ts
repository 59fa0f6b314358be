/** Answers SuggestBoxesRequest: boxes proposed for one image, for review in the annotator. */
import { suggestBoxes } from '../boxes/suggest';
import { onRequest } from '../lsp/typed';
import { RankByUncertaintyRequest, SuggestBoxesRequest } from '../protocol';
import { openRunDetector, rankByUncertainty } from '../methods/detect/fromRun';
import { requestPath } from './paths';
import type { ServerFeature } from './types';

export const boxesFeature: ServerFeature = {
  name: 'boxes',
  register(ctx) {
    onRequest(ctx.connection, SuggestBoxesRequest, async (p) => {
      const imagePath = requestPath(ctx, p.imagePath, 'imagePath', 'read');
      const runDir = p.runDir === undefined ? undefined : requestPath(ctx, p.runDir, 'runDir', 'read');
      if (p.source !== 'saliency') await ctx.engine();
      const boxes = await suggestBoxes(imagePath, p.source, runDir ? { runDir } : {});
      return { boxes: boxes.slice(0, p.maxBoxes ?? boxes.length) };
    });
    onRequest(ctx.connection, RankByUncertaintyRequest, async (p) => {
      const runDir = requestPath(ctx, p.runDir, 'runDir', 'read');
      const imagePaths = p.imagePaths.map((f, i) => requestPath(ctx, f, `imagePaths[${i}]`, 'read'));
      await ctx.engine();
      const det = await openRunDetector(runDir);
      try {
        return { images: await rankByUncertainty(det, imagePaths) };
      } finally {
        det.dispose();
      }
    });
  },
};
