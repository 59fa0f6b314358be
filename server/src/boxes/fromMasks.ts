/**
 * Manual boxes from segmentation masks (`data.boxes: {source: masks, path: <folder>}`): real
 * datasets often ship an expert's lesion mask per image (PH2 does) rather than boxes. Each image
 * `<stem>.<ext>` takes the mask in the folder named `<stem>.<ext>` or `<stem>_<anything>` /
 * `<stem>-<anything>` (PH2: IMD002_lesion.png); the box encloses every foreground pixel (> 0),
 * scaled to the image's size when the mask's differs. The boxes are `manual`: a person drew them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadClassificationDataset } from '../data/datasets';
import { readImage } from '../data/readers';
import type { Experiment } from '../experiment/types';
import { emptyCoco, type CocoDataset } from '../formats/coco';

const MASK_FILE = /\.(png|jpe?g|bmp|nii(\.gz)?|nrrd|mha|mhd)$/i;

/** Mask files of a folder by the image stem they belong to. */
export function masksByStem(dir: string): Map<string, string> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: data.boxes.path must be a folder of mask images for source 'masks'`);
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(dir).filter((n) => MASK_FILE.test(n)).sort()) {
    const stem = name.replace(MASK_FILE, '');
    const file = path.join(dir, name);
    if (!out.has(stem)) out.set(stem, file);
    // `<stem>_lesion.png` also answers to `<stem>` unless a mask has exactly that name.
    const base = /^(.+?)[_-][^_-]+$/.exec(stem)?.[1];
    if (base && !out.has(base)) out.set(base, file);
  }
  return out;
}

/** [x, y, w, h] enclosing the foreground of a mask (any colour channel > 0; alpha ignored), or undefined when empty. */
export function maskBox(data: ArrayLike<number>, width: number, height: number, components: number): [number, number, number, number] | undefined {
  const colours = components === 2 || components === 4 ? components - 1 : components;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let on = false;
      for (let c = 0; c < colours && !on; c++) on = data[(y * width + x) * components + c]! > 0;
      if (!on) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** COCO boxes (file_name relative to cocoDir) for every image of the experiment's data that has a mask. */
export async function boxesFromMasks(exp: Experiment, cocoDir: string, log?: (m: string) => void): Promise<CocoDataset> {
  const dir = exp.data.boxes?.path;
  if (!dir) throw new Error(`${exp.file}: data.boxes.path must name the folder of lesion masks for source 'masks'`);
  if (exp.data.format === 'volumes' || exp.data.format === 'npz' || exp.data.format === 'coco') throw new Error(`${exp.file}: boxes from masks need image files (folder or csv data); for ${exp.data.format} data give a COCO file (npz images are named '<file>.npz#<split>/<index>')`);
  const masks = masksByStem(dir);
  const ds = await loadClassificationDataset({ format: exp.data.format, path: exp.data.path, ...(exp.data.classes ? { classes: exp.data.classes } : {}), inputSize: exp.model.inputSize, seed: exp.train.seed, boxes: false });
  const coco = emptyCoco(ds.classes);
  coco.info = { description: `MedStudio boxes from the masks in ${dir}`, medstudio: { source: 'masks', masks: dir } };
  let missing = 0;
  for (const s of ds.samples) {
    const stem = path.basename(s.path!).replace(MASK_FILE, '');
    const maskFile = masks.get(stem);
    if (!maskFile) {
      missing++;
      continue;
    }
    const [img, mask] = await Promise.all([readImage(s.path!), readImage(maskFile)]);
    const [w, h] = [img.dims[0]!, img.dims[1]!];
    const id = coco.images.length + 1;
    coco.images.push({ id, file_name: path.relative(cocoDir, s.path!).split(path.sep).join('/'), width: w, height: h });
    const b = maskBox(mask.data, mask.dims[0]!, mask.dims[1]!, mask.components);
    if (!b) continue;
    const sx = w / mask.dims[0]!;
    const sy = h / mask.dims[1]!;
    const bbox: [number, number, number, number] = [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy].map((v) => Math.round(v * 100) / 100) as [number, number, number, number];
    coco.annotations.push({ id: coco.annotations.length + 1, image_id: id, category_id: s.label + 1, bbox, area: bbox[2] * bbox[3], iscrowd: 0, source: 'manual' });
  }
  log?.(`${coco.annotations.length} boxes from masks in ${dir}${missing ? `; ${missing} images have no mask there` : ''}`);
  return coco;
}
