/**
 * Generates lesion boxes for every image of an experiment's dataset, from saliency or from a
 * segmentation network, as COCO (category = the image's class; `source` and `score` on each box,
 * so the annotator shows them for review). Used by CARE (boxes.source: saliency|segmentation),
 * by `medstudio boxes`, and for single images by the SuggestBoxes request.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeCocoFile } from '../data/boxes';
import { loadClassificationDataset, npzImagePath, type ClassificationDataset, type DatasetSample } from '../data/datasets';
import { readImage } from '../data/readers';
import type { Experiment } from '../experiment/types';
import { emptyCoco, parseCoco, type CocoDataset } from '../formats/coco';
import { saveModel } from '../runs/modelIo';
import { resizeGray } from './imageOps';
import { describeMerge, mergeGenerated } from './merge';
import type { MapBox } from './regions';
import type { PixelImage, SaliencyMethod } from './saliency';
import { DEFAULT_SALIENCY, saliencyBox, saliencyRegion } from './saliencyBoxes';
import { openSegment2dBoxer } from './fromSegment2d';
import { boxFromMask, predictMasks, SEG_INPUT, trainSegNet } from './segmentation';

export type GeneratedSource = 'saliency' | 'segmentation';

export interface GenerateOptions {
  saliency?: SaliencyMethod;
  /** Where a trained segmentation net is saved (segmentation-model/ inside it). */
  runDir?: string;
  log?: (m: string) => void;
  signal?: AbortSignal;
  /** Epochs for the pseudo-mask segmentation net (default 20). */
  segEpochs?: number;
}

export interface ImageBox {
  sample: DatasetSample;
  width: number;
  height: number;
  box?: MapBox;
}

export async function readPixels(file: string): Promise<PixelImage> {
  const img = await readImage(file);
  if (img.spatialDims !== 2 && (img.dims[2] ?? 1) > 1) throw new Error(`${file}: boxes are generated for 2D images; this is a 3D volume`);
  return { data: img.data, width: img.dims[0]!, height: img.dims[1]!, components: img.components };
}

async function openData(exp: Experiment, inputSize: number) {
  if (exp.data.format === 'volumes' || exp.data.format === 'coco') throw new Error(`${exp.file}: boxes are generated for 2D classification data, not 'volumes'`);
  return loadClassificationDataset({
    format: exp.data.format,
    path: exp.data.path,
    ...(exp.data.classes ? { classes: exp.data.classes } : {}),
    inputSize,
    seed: exp.train.seed,
    valFraction: exp.data.valFraction,
    testFraction: exp.data.testFraction,
    boxes: false,
  });
}

/**
 * A sample's pixels: its file at full size, or (npz arrays, which have no file) the decoded model
 * input at the dataset's input size; the COCO entry records that size, so boxes scale right.
 */
async function pixelsOf(ds: ClassificationDataset, s: DatasetSample): Promise<PixelImage> {
  if (s.path) return readPixels(s.path);
  const [height, width, components] = ds.inputShape as [number, number, number];
  return { data: await ds.load(s), width, height, components };
}

/** Downsamples a binary region (nearest: the pixel whose centre falls in it). */
function regionToSize(region: Float32Array, w: number, h: number, size: number): Float32Array {
  return resizeGray({ data: region, width: w, height: h }, size, size).data.map((v) => (v >= 0.5 ? 1 : 0));
}

async function saliencyBoxes(exp: Experiment, o: GenerateOptions): Promise<{ classes: string[]; items: ImageBox[] }> {
  const ds = await openData(exp, exp.model.inputSize);
  const items: ImageBox[] = [];
  for (const s of ds.samples) {
    if (o.signal?.aborted) throw new Error('box generation cancelled');
    const px = await pixelsOf(ds, s);
    items.push({ sample: s, width: px.width, height: px.height, box: saliencyBox(px, o.saliency ?? DEFAULT_SALIENCY) });
  }
  return { classes: ds.classes, items };
}

/** Boxes from a segment2d run's masks (data.boxes.model), for every image at its own size. */
async function segment2dRunBoxes(exp: Experiment, runDir: string, o: GenerateOptions): Promise<{ classes: string[]; items: ImageBox[] }> {
  const boxer = openSegment2dBoxer(runDir);
  try {
    const ds = await openData(exp, exp.model.inputSize);
    o.log?.(`segmentation boxes from the segment2d run ${runDir} (classes ${boxer.classes.join(', ')})`);
    const items: ImageBox[] = [];
    for (let b = 0; b < ds.samples.length; b += 16) {
      if (o.signal?.aborted) throw new Error('box generation cancelled');
      const chunk = ds.samples.slice(b, b + 16);
      const images = await Promise.all(
        chunk.map(async (s) => {
          if (s.path) {
            const img = await readImage(s.path);
            return { image: { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, what: s.path };
          }
          const px = await pixelsOf(ds, s);
          return { image: { data: px.data, dims: [px.width, px.height], components: px.components, eightBit: false }, what: s.id };
        }),
      );
      (await boxer.boxes(images)).forEach((box, i) => items.push({ sample: chunk[i]!, width: images[i]!.image.dims[0]!, height: images[i]!.image.dims[1]!, ...(box ? { box } : {}) }));
    }
    return { classes: ds.classes, items };
  } finally {
    boxer.dispose();
  }
}

async function segmentationBoxes(exp: Experiment, o: GenerateOptions): Promise<{ classes: string[]; items: ImageBox[] }> {
  const modelDir = exp.data.boxes?.model;
  if (modelDir) return segment2dRunBoxes(exp, modelDir, o);
  const segSize = Math.min(SEG_INPUT, exp.model.inputSize);
  const ds = await openData(exp, segSize);
  const channels = ds.inputShape[2]!;
  const samples = ds.samples;
  const inputs = await Promise.all(samples.map((s) => ds.load(s)));
  const sizes = await Promise.all(samples.map((s) => pixelsOf(ds, s)));
  // Pseudo-masks from saliency on the training images (see segmentation.ts).
  const train: number[] = [];
  const masks: Float32Array[] = [];
  samples.forEach((s, i) => {
    if (s.split !== 'train') return;
    const r = saliencyRegion(sizes[i]!, o.saliency ?? DEFAULT_SALIENCY);
    if (!r) return;
    train.push(i);
    masks.push(regionToSize(r, sizes[i]!.width, sizes[i]!.height, segSize));
  });
  o.log?.(`training a ${segSize}px segmentation net on ${train.length} saliency pseudo-masks`);
  const model = await trainSegNet(
    train.map((i) => inputs[i]!),
    masks,
    segSize,
    channels,
    { epochs: o.segEpochs ?? 20, batchSize: 8, lr: 0.01, seed: exp.train.seed, ...(o.signal ? { signal: o.signal } : {}), ...(o.log ? { log: o.log } : {}) },
  );
  if (o.runDir) await saveModel(path.join(o.runDir, 'segmentation-model'), model, { medstudio: { kind: 'segmenter', inputSize: segSize, channels, trainedOn: 'saliency pseudo-masks' } });
  const probs = await predictMasks(model, inputs, segSize, channels);
  model.dispose();
  const items = samples.map((s, i): ImageBox => {
    const { width, height } = sizes[i]!;
    const b = boxFromMask(probs[i]!, segSize);
    if (!b) return { sample: s, width, height };
    const sx = width / segSize;
    const sy = height / segSize;
    return { sample: s, width, height, box: { ...b, bbox: [b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy] } };
  });
  return { classes: ds.classes, items };
}

/** Generated boxes as COCO, `file_name` relative to `cocoDir`. */
export async function generateBoxes(exp: Experiment, source: GeneratedSource, cocoDir: string, o: GenerateOptions = {}): Promise<CocoDataset> {
  const { classes, items } = source === 'saliency' ? await saliencyBoxes(exp, o) : await segmentationBoxes(exp, o);
  const coco = emptyCoco(classes);
  coco.info = { description: `MedStudio ${source} boxes for ${path.basename(exp.file)}`, medstudio: { source, ...(source === 'saliency' ? { saliency: o.saliency ?? DEFAULT_SALIENCY } : {}), ...(source === 'segmentation' && exp.data.boxes?.model ? { model: exp.data.boxes.model } : {}) } };
  items.forEach((it, i) => {
    const id = i + 1;
    const file = it.sample.path ?? npzImagePath(path.resolve(exp.data.path), it.sample.id);
    coco.images.push({ id, file_name: path.relative(cocoDir, file).split(path.sep).join('/'), width: it.width, height: it.height });
    if (!it.box) return;
    const [x, y, w, h] = it.box.bbox.map((v) => Math.round(v * 100) / 100) as [number, number, number, number];
    coco.annotations.push({ id: coco.annotations.length + 1, image_id: id, category_id: it.sample.label + 1, bbox: [x, y, w, h], area: w * h, iscrowd: 0, source, score: Math.round(Math.min(1, Math.max(0, it.box.score)) * 1e4) / 1e4 });
  });
  return coco;
}

/** How a generation reached the disk: a new file, merged into a reviewed one, or beside an unreadable one. */
export interface GeneratedFile {
  file: string;
  /** Boxes in the written file. */
  boxes: number;
  mode: 'new' | 'merged' | 'beside';
  /** What happened, for the person (which file, what was kept). */
  message: string;
}

/** `boxes.saliency.coco.json` -> `boxes.saliency.<stamp>.coco.json`, a name not yet taken. */
function besideName(file: string): string {
  const m = /^(.*?)((?:\.coco)?\.json)$/i.exec(file);
  const [stem, ext] = m ? [m[1]!, m[2]!] : [file, ''];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  for (let k = 0; ; k++) {
    const f = `${stem}.${stamp}${k ? `-${k}` : ''}${ext}`;
    if (!fs.existsSync(f)) return f;
  }
}

/**
 * Writes a generation (atomically, validated). An existing file is never replaced: it may hold
 * a person's review, so the new boxes are merged into it (see merge.ts); one that cannot be
 * read is left alone and the new boxes go beside it. The result says which.
 */
export async function writeGeneratedBoxes(file: string, coco: CocoDataset, source: GeneratedSource): Promise<GeneratedFile> {
  let text: string | undefined;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: cannot read the existing box file (${(e as NodeJS.ErrnoException).code ?? String(e)}); nothing was written`);
  }
  if (text === undefined) {
    await writeCocoFile(file, coco);
    return { file, boxes: coco.annotations.length, mode: 'new', message: `${coco.annotations.length} ${source} boxes written to ${file}` };
  }
  let existing: CocoDataset;
  try {
    existing = parseCoco(text, file);
  } catch (e) {
    const beside = besideName(file);
    await writeCocoFile(beside, coco);
    const why = (e instanceof Error ? e.message : String(e)).slice(0, 300);
    return { file: beside, boxes: coco.annotations.length, mode: 'beside', message: `${file} could not be read (${why}), so it was left as it is; ${coco.annotations.length} ${source} boxes were written beside it to ${beside}` };
  }
  const { dataset, stats } = mergeGenerated(existing, coco, source);
  await writeCocoFile(file, dataset);
  return { file, boxes: dataset.annotations.length, mode: 'merged', message: `${source} boxes merged into ${file}: ${describeMerge(stats, source)}` };
}

/** Generates a dataset's boxes and writes them (merging into an existing file, see writeGeneratedBoxes). */
export async function generateBoxesInto(exp: Experiment, source: GeneratedSource, file: string, o: GenerateOptions = {}): Promise<GeneratedFile> {
  const coco = await generateBoxes(exp, source, path.dirname(path.resolve(file)), o);
  return writeGeneratedBoxes(path.resolve(file), coco, source);
}

/** generateBoxesInto, returning the number of boxes in the written file. */
export async function generateBoxesFile(exp: Experiment, source: GeneratedSource, file: string, o: GenerateOptions = {}): Promise<number> {
  return (await generateBoxesInto(exp, source, file, o)).boxes;
}
