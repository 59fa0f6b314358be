/** Opens an experiment's classification data for CARE / supervised training. */
import { loadClassificationDataset, type ClassificationDataset } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';

export async function openClassificationData(exp: Experiment, opts: { inputSize?: number; boxes: string | false | undefined }): Promise<ClassificationDataset> {
  const d = exp.data;
  if (d.format === 'volumes' || d.format === 'coco') throw new Error(`${exp.file}: method '${exp.method}' trains 2D classifiers; data.format 'volumes' is for segment/glmae`);
  const channels = exp.model.channels;
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new Error(`${exp.file}: model.channels must be 1 or 3 for a 2D classifier, got ${channels}`);
  const ds = await loadClassificationDataset({
    format: d.format,
    path: d.path,
    ...(d.classes ? { classes: d.classes } : {}),
    inputSize: opts.inputSize ?? exp.model.inputSize,
    ...(channels ? { channels: channels as 1 | 3 } : {}),
    seed: exp.train.seed,
    valFraction: d.valFraction,
    testFraction: d.testFraction,
    labelled: d.labelled,
    ...(opts.boxes !== undefined ? { boxes: opts.boxes } : {}),
  });
  if (ds.spatialDims !== 2) throw new Error(`${d.path}: method '${exp.method}' needs 2D images; this dataset is 3D`);
  for (const s of ['train', 'val', 'test'] as const) {
    if (ds.split(s).length === 0) throw new Error(`${d.path}: the ${s} split is empty (set data.valFraction / data.testFraction, or give a split column)`);
  }
  return ds;
}

/** Class indices CARE attends to: data.rare, else the classes with at most 5% of the images (at least the smallest). */
export function rareClassIndices(exp: Experiment, ds: ClassificationDataset): number[] {
  if (exp.data.rare.length) {
    return exp.data.rare.map((name) => {
      const i = ds.classes.indexOf(name);
      if (i < 0) throw new Error(`${exp.file}: data.rare names '${name}', which is not a class (${ds.classes.join(', ')})`);
      return i;
    });
  }
  const rare = ds.shares.map((s, i) => [s, i] as const).filter(([s]) => s <= 0.05).map(([, i]) => i);
  if (rare.length) return rare;
  return [ds.shares.indexOf(Math.min(...ds.shares))];
}

/** A rare class's training images and how many of them have a lesion box. */
export interface RareBoxes {
  class: string;
  images: number;
  withBoxes: number;
}

/**
 * Counts the boxed training images of each rare class, and refuses the run when a rare class has
 * none: stage 2's attention loss would never act, and the run would be cross-entropy reported as
 * CARE. The message names the class and where the boxes came from.
 */
export function requireRareBoxes(exp: Experiment, ds: ClassificationDataset, rare: number[], boxesFile: string | false | undefined): RareBoxes[] {
  const train = ds.split('train');
  const counts = rare.map((c) => {
    const of = train.filter((s) => s.label === c);
    return { class: ds.classes[c]!, images: of.length, withBoxes: of.filter((s) => ds.boxesOf(s).length > 0).length };
  });
  const none = counts.filter((r) => r.withBoxes === 0);
  if (none.length) {
    const src = exp.data.boxes?.source ?? 'manual';
    const model = exp.data.boxes?.model ? ` from the segment2d run ${exp.data.boxes.model}, which found no lesion in them` : '';
    const where = boxesFile ? `boxes.source '${src}'${model}, ${boxesFile}` : `boxes.source '${src}', and no boxes file (none given, no boxes.coco.json beside the data)`;
    const names = none.map((r) => `'${r.class}' (0 of ${r.images} training images)`).join(', ');
    throw new Error(`${exp.file}: CARE cannot start stage 2: rare class ${names} has no lesion box (${where}); the attention loss would never act. ${exp.data.format === 'npz' ? "npz images are named '<file>.npz#<split>/<index>' in a COCO file. " : ''}Give boxes for the rare classes, or train with method: supervised.`);
  }
  return counts;
}
