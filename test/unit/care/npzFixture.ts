/**
 * A tiny MedMNIST-style .npz lesion dataset for CARE tests: 16x16 grey images (uint8), a dark
 * noisy background with one bright disc, train/val/test arrays, two classes with class 1 rare.
 * Its true boxes are returned keyed by the COCO name npz images take ('<file>.npz#<split>/<index>').
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpz } from '../../../server/src/data/datasets';
import { createRng } from '../../../server/src/transforms/rng';

export interface NpzFixture {
  root: string;
  npz: string;
  /** [x, y, w, h] per image, by '<split>/<index>'. */
  boxes: Map<string, { label: number; bbox: [number, number, number, number] }>;
}

export function makeNpzLesionFixture(perSplit: Record<'train' | 'val' | 'test', [number, number]> = { train: [12, 4], val: [3, 2], test: [3, 2] }, size = 16): NpzFixture {
  const rng = createRng(7);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-care-npz-'));
  fs.writeFileSync(path.join(root, 'package.json'), '{}');
  const arrays: Record<string, { data: Uint8Array; shape: number[] }> = {};
  const boxes: NpzFixture['boxes'] = new Map();
  for (const split of ['train', 'val', 'test'] as const) {
    const labels: number[] = [];
    perSplit[split].forEach((n, label) => {
      for (let k = 0; k < n; k++) labels.push(label);
    });
    const images = new Uint8Array(labels.length * size * size);
    labels.forEach((label, i) => {
      const r = size * (label ? 0.22 : 0.16) + rng.uniform(0, size * 0.04);
      const cx = rng.uniform(r + 1, size - r - 1);
      const cy = rng.uniform(r + 1, size - r - 1);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
          images[i * size * size + y * size + x] = Math.round((inside ? (label ? 220 : 170) : 40) + rng.uniform(-10, 10));
        }
      }
      boxes.set(`${split}/${i}`, { label, bbox: [cx - r, cy - r, 2 * r, 2 * r] });
    });
    arrays[`${split}_images`] = { data: images, shape: [labels.length, size, size] };
    arrays[`${split}_labels`] = { data: Uint8Array.from(labels), shape: [labels.length] };
  }
  const npz = path.join(root, 'lesions.npz');
  fs.writeFileSync(npz, encodeNpz(arrays));
  return { root, npz, boxes };
}

/** A COCO file beside the npz with the true boxes of the images `keep` accepts (every image is listed). */
export function writeNpzCoco(fx: NpzFixture, keep: (label: number) => boolean, name = 'boxes.coco.json'): string {
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  let id = 0;
  for (const [key, { label, bbox }] of fx.boxes) {
    id++;
    images.push({ id, file_name: `lesions.npz#${key}`, width: 16, height: 16 });
    if (keep(label)) annotations.push({ id, image_id: id, category_id: label + 1, bbox, area: bbox[2] * bbox[3], iscrowd: 0, source: 'manual' });
  }
  const file = path.join(fx.root, name);
  fs.writeFileSync(file, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'benign' }, { id: 2, name: 'malignant' }] }));
  return file;
}
