/**
 * The detector's data: a COCO file (`data.format: coco`, `data.path`), its images read and resized
 * to the square model input, and its ground-truth boxes scaled with them: drawn by a person
 * (`source: manual`) or proposed by a detector and accepted (`accepted: true`). Boxes proposed
 * and not accepted are not ground truth: they are counted and left out. An image without
 * ground-truth boxes is a negative (no lesion) only when a person marked it reviewed in the
 * annotator (`info.medstudio.review`); otherwise it is unlabelled and left out (it is what the
 * annotator's uncertainty queue offers next). An image whose review says `excluded` is left out
 * too. The split is `data.split` (CSV path,split, paths relative to it; it must name every
 * labelled image) or seeded by train.seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv, stratifiedSplit, toModelInput, type Split } from '../../data/datasets';
import { readCocoFile } from '../../data/boxes';
import { readImage } from '../../data/readers';
import type { Experiment } from '../../experiment/types';
import { annotationsByImage, isPendingSuggestion, type CocoDataset } from '../../formats/coco';
import type { Box } from '../../metrics/detection';

export interface DetectionSample {
  /** COCO image id and file_name (relative to the COCO file). */
  imageId: number;
  fileName: string;
  file: string;
  split: Split;
  width: number;
  height: number;
  /** Ground truth in the image's pixels and in input pixels. */
  truth: Box[];
  inputBoxes: Box[];
  /** [S, S, C] model input. */
  x: Float32Array;
}

export interface DetectionData {
  cocoFile: string;
  coco: CocoDataset;
  samples: DetectionSample[];
  inputSize: number;
  channels: 1 | 3;
  counts: Record<Split, { images: number; boxes: number }>;
  /** Proposed boxes nobody accepted (not used as ground truth). */
  unreviewed: number;
  /** Images left out: no ground-truth box and no review decision, or excluded in review. */
  unlabelled: number;
  excluded: number;
}

/** Review statuses by image id from `info.medstudio.review` (what the annotator saves). */
function reviewStatuses(coco: CocoDataset): Map<number, string> {
  const ms = coco.info?.medstudio;
  const review = ms && typeof ms === 'object' ? (ms as Record<string, unknown>).review : undefined;
  const out = new Map<number, string>();
  if (!review || typeof review !== 'object') return out;
  for (const [k, v] of Object.entries(review as Record<string, unknown>)) {
    const status = v && typeof v === 'object' ? (v as Record<string, unknown>).status : undefined;
    if (Number.isInteger(Number(k)) && typeof status === 'string') out.set(Number(k), status);
  }
  return out;
}

function readSplitCsv(file: string): Map<string, Split> {
  if (!fs.existsSync(file)) throw new Error(`${file}: does not exist (data.split names the CSV of the fixed split)`);
  const t = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const p = t.header.indexOf('path');
  const s = t.header.indexOf('split');
  if (p < 0 || s < 0) throw new Error(`${file}: needs the columns path and split (has ${t.header.join(', ')})`);
  const out = new Map<string, Split>();
  for (const row of t.rows) {
    const split = row.cells[s];
    if (split !== 'train' && split !== 'val' && split !== 'test') throw new Error(`${file}: line ${row.line}: split '${split}' is not train, val or test`);
    out.set(path.resolve(path.dirname(file), row.cells[p]!), split);
  }
  return out;
}

export async function openDetectionData(exp: Experiment): Promise<DetectionData> {
  if (exp.data.format !== 'coco') throw new Error(`${exp.file}: method detect needs data.format: coco (got ${exp.data.format})`);
  const cocoFile = exp.data.path;
  const coco = await readCocoFile(cocoFile);
  const dir = path.dirname(cocoFile);
  const byImage = annotationsByImage(coco);
  if (!coco.images.length) throw new Error(`${cocoFile}: the COCO file lists no images`);
  const review = reviewStatuses(coco);
  const hasTruth = (id: number) => (byImage.get(id) ?? []).some((a) => !isPendingSuggestion(a));
  let unlabelled = 0;
  let excluded = 0;
  const images = [...coco.images]
    .sort((a, b) => a.id - b.id)
    .filter((im) => {
      if (review.get(im.id) === 'excluded') return (excluded++, false);
      if (!hasTruth(im.id) && !review.has(im.id)) return (unlabelled++, false);
      return true;
    });
  if (!images.length) throw new Error(`${cocoFile}: none of its ${coco.images.length} images is labelled (no box drawn or accepted, none marked reviewed), so there is nothing to learn from`);
  const files = images.map((im) => path.resolve(dir, im.file_name));
  let splits: Split[];
  if (exp.data.split) {
    const given = readSplitCsv(exp.data.split);
    const missing = files.filter((f) => !given.has(f));
    if (missing.length) throw new Error(`${exp.data.split}: gives no split for ${missing.length} image(s) of ${cocoFile}: ${missing.slice(0, 3).map((f) => path.relative(dir, f)).join(', ')}${missing.length > 3 ? ', ...' : ''}`);
    splits = files.map((f) => given.get(f)!);
  } else splits = stratifiedSplit(images.map(() => 0), exp.train.seed, exp.data.valFraction, exp.data.testFraction);

  const S = exp.model.inputSize;
  let channels = exp.model.channels as 1 | 3 | undefined;
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new Error(`${exp.file}: model.channels must be 1 or 3 for the detector, got ${channels}`);
  let unreviewed = 0;
  const samples: DetectionSample[] = [];
  for (let i = 0; i < images.length; i++) {
    const im = images[i]!;
    const img = await readImage(files[i]!);
    if (img.spatialDims === 3 && (img.dims[2] ?? 1) > 1) throw new Error(`${files[i]}: the detector is 2D; this is a 3D volume`);
    channels ??= img.components >= 3 ? 3 : 1;
    const x = toModelInput({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, { spatialDims: 2, size: S, channels, intensity: 'auto' }, files[i]!);
    const anns = byImage.get(im.id) ?? [];
    const truth = anns.filter((a) => !isPendingSuggestion(a)).map((a) => [...a.bbox] as unknown as Box);
    unreviewed += anns.length - truth.length;
    const sx = S / im.width;
    const sy = S / im.height;
    samples.push({ imageId: im.id, fileName: im.file_name, file: files[i]!, split: splits[i]!, width: im.width, height: im.height, truth, inputBoxes: truth.map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] as const), x });
  }
  const counts = { train: { images: 0, boxes: 0 }, val: { images: 0, boxes: 0 }, test: { images: 0, boxes: 0 } };
  for (const s of samples) {
    counts[s.split].images++;
    counts[s.split].boxes += s.truth.length;
  }
  return { cocoFile, coco, samples, inputSize: S, channels: channels ?? 3, counts, unreviewed, unlabelled, excluded };
}
