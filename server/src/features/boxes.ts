/** Answers SuggestBoxesRequest: boxes proposed for one image, for review in the annotator. */
import { suggestBoxes } from '../boxes/suggest';
import { invalidParams, onRequest } from '../lsp/typed';
import { SuggestBoxesRequest } from '../protocol';
import type { ServerFeature } from './types';

export const boxesFeature: ServerFeature = {
  name: 'boxes',
  register(ctx) {
    onRequest(ctx.connection, SuggestBoxesRequest, async (p) => {
      if (!p.imagePath) invalidParams('imagePath is required');
      if (p.source !== 'saliency' && p.source !== 'segmentation') invalidParams(`source must be saliency or segmentation, not '${String(p.source)}'`);
      if (p.source === 'segmentation') await ctx.engine();
      const boxes = await suggestBoxes(p.imagePath, p.source, p.runDir ? { runDir: p.runDir } : {});
      return { boxes: boxes.slice(0, p.maxBoxes ?? boxes.length) };
    });
  },
};
