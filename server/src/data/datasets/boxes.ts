/**
 * Lesion boxes for dataset samples: the COCO file beside a dataset, matched to samples by file
 * name, and boxes scaled into model-input pixels (images are resized to the input size, so a
 * box scales with them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { annotationsByImage, findImageByPath, parseCoco, type BoxSource, type CocoAnnotation, type CocoBBox, type CocoDataset, type CocoImage } from '../../formats/coco';

export interface InputBox {
  /** [x, y, w, h] in model-input pixels. */
  bbox: CocoBBox;
  /** Class name of the COCO category. */
  category: string;
  source: BoxSource;
  score?: number;
}

/**
 * The COCO `file_name` of an image inside an .npz dataset: the npz path, '#', and the sample id
 * ("<split>/<index>"), e.g. `breastmnist.npz#train/12` (relative to the COCO file's folder like
 * any other file name). Boxes for array datasets are keyed this way, by split and index.
 */
export function npzImagePath(npzFile: string, sampleId: string): string {
  return `${npzFile}#${sampleId}`;
}

export interface BoxIndex {
  file: string;
  coco: CocoDataset;
  imageFor(absPath: string): CocoImage | undefined;
  boxes(imageId: number, inputSize: number): InputBox[];
}

export function loadBoxIndex(file: string): BoxIndex {
  const coco = parseCoco(fs.readFileSync(file, 'utf8'), file);
  const dir = path.dirname(file);
  const byImage = annotationsByImage(coco);
  const images = new Map(coco.images.map((i) => [i.id, i]));
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  return {
    file,
    coco,
    imageFor: (abs) => findImageByPath(coco, path.relative(dir, abs).split(path.sep).join('/')),
    boxes(imageId, inputSize) {
      const img = images.get(imageId);
      if (!img) return [];
      const sx = inputSize / img.width;
      const sy = inputSize / img.height;
      return (byImage.get(imageId) ?? []).map((a: CocoAnnotation) => {
        const b: InputBox = { bbox: [a.bbox[0] * sx, a.bbox[1] * sy, a.bbox[2] * sx, a.bbox[3] * sy], category: names.get(a.category_id) ?? String(a.category_id), source: a.source };
        if (a.score !== undefined) b.score = a.score;
        return b;
      });
    },
  };
}

/** A [size x size] mask, 1 where a pixel centre lies inside any of the boxes. */
export function boxMask(boxes: readonly InputBox[], size: number): Float32Array {
  const m = new Float32Array(size * size);
  for (const { bbox } of boxes) {
    const x0 = Math.max(0, Math.ceil(bbox[0] - 0.5));
    const y0 = Math.max(0, Math.ceil(bbox[1] - 0.5));
    const x1 = Math.min(size - 1, Math.floor(bbox[0] + bbox[2] - 0.5));
    const y1 = Math.min(size - 1, Math.floor(bbox[1] + bbox[3] - 0.5));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * size + x] = 1;
  }
  return m;
}
