/** `medstudio boxes <experiment> [--source saliency|segmentation] [--out FILE]`: generate lesion boxes as COCO for review. */
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import { loadExperiment } from '../../experiment/load';
import { generateBoxesInto, type GeneratedSource } from '../../boxes/generate';
import type { SaliencyMethod } from '../../boxes/saliency';
import { UsageError, type CliCommand } from '../types';

export const boxes: CliCommand = {
  name: 'boxes',
  summary: 'generate lesion boxes (saliency or segmentation) for every image of an experiment, as COCO',
  usage: 'medstudio boxes <experiment> [--source saliency|segmentation] [--saliency frequency-tuned|spectral-residual] [--out FILE] [--json]',
  options: { source: { type: 'string' }, out: { type: 'string' }, saliency: { type: 'string' } },
  async run({ positionals, values }, io) {
    const [experiment] = positionals;
    if (!experiment) throw new UsageError('name an experiment file');
    const exp = await loadExperiment(path.resolve(experiment));
    const source = (values.source as string | undefined) ?? (exp.data.boxes?.source !== 'manual' ? exp.data.boxes?.source : undefined) ?? 'saliency';
    if (source !== 'saliency' && source !== 'segmentation') throw new UsageError(`--source must be saliency or segmentation, not '${source}'`);
    const sal = values.saliency as string | undefined;
    if (sal !== undefined && sal !== 'frequency-tuned' && sal !== 'spectral-residual') throw new UsageError(`--saliency must be frequency-tuned or spectral-residual, not '${sal}'`);
    const out = path.resolve((values.out as string | undefined) ?? path.join(path.dirname(exp.file), `boxes.${source}.coco.json`));
    if (source === 'segmentation') await ensureBackend();
    const t0 = Date.now();
    const r = await generateBoxesInto(exp, source as GeneratedSource, out, {
      ...(sal ? { saliency: sal as SaliencyMethod } : {}),
      runDir: path.dirname(out),
      log: (l) => io.err(l),
    });
    if (!io.json) io.out(`${r.message} (${((Date.now() - t0) / 1000).toFixed(1)} s); open it in the annotator to review`);
    return { source, boxes: r.boxes, file: r.file, mode: r.mode, message: r.message };
  },
};
