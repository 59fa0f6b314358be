/**
 * Where CARE's boxes come from (data.boxes.source): `manual` reads the COCO file the person drew
 * (data.boxes.path, else boxes.coco.json beside the data); `masks` turns the lesion masks in
 * data.boxes.path into boxes (boxes.masks.coco.json in the run folder); `saliency` and
 * `segmentation` generate boxes for every image into the run folder (boxes.<source>.coco.json,
 * with source and score so a person can review them) — once: a resumed run reuses them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boxesFromMasks } from '../../boxes/fromMasks';
import { generateBoxesFile } from '../../boxes/generate';
import { writeCocoFile } from '../../data/boxes';
import type { RunContext } from '../../training/types';

export async function prepareBoxes(ctx: RunContext): Promise<{ file: string | false | undefined; artifact?: string }> {
  const b = ctx.experiment.data.boxes;
  if (!b || b.source === 'manual') return { file: b?.path };
  const rel = `boxes.${b.source}.coco.json`;
  const file = path.join(ctx.runDir, rel);
  if (!fs.existsSync(file)) {
    if (b.source === 'masks') {
      await writeCocoFile(file, await boxesFromMasks(ctx.experiment, ctx.runDir, ctx.log));
    } else {
      ctx.log(`generating ${b.source} boxes for every image into ${rel}`);
      const n = await generateBoxesFile(ctx.experiment, b.source, file, { runDir: ctx.runDir, log: ctx.log, signal: ctx.signal });
      ctx.log(`${n} ${b.source} boxes written`);
    }
  }
  return { file, artifact: rel };
}
