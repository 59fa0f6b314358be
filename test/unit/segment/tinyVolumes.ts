/** Tiny labelled NIfTI volumes (a two-part ball in noise) of different sizes, one at 1x1x2 mm, with a fixed split CSV. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { Mat3, Vec3 } from '../../../server/src/formats/geometry';
import { createRng } from '../../../server/src/transforms/rng';

export const TINY_SHAPES: [number, number, number][] = [[10, 14, 12], [12, 14, 12], [11, 16, 13], [10, 15, 12], [12, 16, 14], [11, 14, 12]];

export interface TinyCase {
  /** [D, H, W] */
  shape: [number, number, number];
  image: Int16Array;
  label: Uint8Array;
  spacing: Vec3;
}

export function tinyCase(i: number): TinyCase {
  const [d, h, w] = TINY_SHAPES[i]!;
  const rng = createRng(i + 1);
  const image = new Int16Array(d * h * w);
  const label = new Uint8Array(d * h * w);
  const c = [d / 2 + rng.uniform(-1, 1), h / 2 + rng.uniform(-2, 2), w / 2 + rng.uniform(-2, 2)];
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const k = (z * h + y) * w + x;
        const r = Math.hypot(z - c[0]!, y - c[1]!, x - c[2]!);
        label[k] = r < 3 ? (y < c[1]! ? 1 : 2) : 0;
        image[k] = Math.round((label[k] ? 600 + 200 * label[k] : 200) + 40 * rng.normal());
      }
  return { shape: [d, h, w], image, label, spacing: i === 5 ? [1, 1, 2] : [1, 1, 1] };
}

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Writes volumes/c<i>.nii, labels/c<i>.nii and split.csv (4 train, 1 val, 1 test) under `dir`. */
export function writeTinyVolumes(dir: string): void {
  for (const sub of ['volumes', 'labels']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  TINY_SHAPES.forEach((_, i) => {
    const c = tinyCase(i);
    const [d, h, w] = c.shape;
    const geometry = { spacing: c.spacing, origin: [0, 0, 0] as Vec3, direction: IDENTITY };
    fs.writeFileSync(path.join(dir, 'volumes', `c${i}.nii`), encodeNifti({ data: c.image, dims: [w, h, d], ...geometry }));
    fs.writeFileSync(path.join(dir, 'labels', `c${i}.nii`), encodeNifti({ data: c.label, dims: [w, h, d], ...geometry }));
  });
  fs.writeFileSync(path.join(dir, 'split.csv'), ['path,split', ...TINY_SHAPES.map((_, i) => `volumes/c${i}.nii,${i < 4 ? 'train' : i === 4 ? 'val' : 'test'}`)].join('\n') + '\n');
}
