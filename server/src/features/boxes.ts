/** Answers SuggestBoxesRequest: boxes proposed for one image, for review in the annotator. */
import { suggestBoxes } from '../boxes/suggest';
import { onRequest } from '../lsp/typed';
import { SuggestBoxesRequest } from '../protocol';
import { requestPath } from './paths';
import type { ServerFeature } from './types';

export const boxesFeature: ServerFeature = {
  name: 'boxes',
  register(ctx) {
    onRequest(ctx.connection, SuggestBoxesRequest, async (p) => {
      const imagePath = requestPath(ctx, p.imagePath, 'imagePath', 'read');
      const runDir = p.runDir === undefined ? undefined : requestPath(ctx, p.runDir, 'runDir', 'read');
      if (p.source === 'segmentation') await ctx.engine();
      const boxes = await suggestBoxes(imagePath, p.source, runDir ? { runDir } : {});
      return { boxes: boxes.slice(0, p.maxBoxes ?? boxes.length) };
    });
  },
};
