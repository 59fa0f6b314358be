/**
 * PH2 dermoscopy (../shared/data/real/ph2) for benchmarks: the images, their expert lesion masks
 * and labels, and a CSV manifest with a fixed stratified split (60/20/20 per class, seeded once),
 * so runs with different training seeds are compared on the same test images.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv, stratifiedSplit } from '../../server/src/data/datasets';

export const PH2_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'real', 'ph2');

export interface Ph2Image {
  id: string;
  image: string;
  mask: string;
  label: number;
}

export interface Ph2 {
  classes: string[];
  images: Ph2Image[];
}

export function readPh2(dir = PH2_DIR): Ph2 {
  const table = path.join(dir, 'labels_and_boxes.csv');
  if (!fs.existsSync(table)) throw new Error(`${table} is missing: this benchmark needs ../shared/data/real/ph2 (CI has it; a fresh clone does not)`);
  const t = parseCsv(fs.readFileSync(table, 'utf8'), table);
  const col = (name: string) => {
    const i = t.header.indexOf(name);
    if (i < 0) throw new Error(`${table}: no '${name}' column`);
    return i;
  };
  const [ci, cl, cn] = [col('image'), col('label'), col('class_name')];
  const classes: string[] = [];
  const images = t.rows.map(({ cells }) => {
    const label = Number(cells[cl]);
    classes[label] = cells[cn]!;
    const id = cells[ci]!;
    return { id, image: path.join(dir, 'images', `${id}.png`), mask: path.join(dir, 'masks', `${id}_lesion.png`), label };
  });
  return { classes, images };
}

/**
 * Writes `ph2.csv` (path,label,split) into `dir`; the split is stratified by class with a fixed
 * seed and fractions. `assignment` is each image's split in `ph2.images` order.
 */
export function writePh2Manifest(ph2: Ph2, dir: string, o: { seed: number; val: number; test: number }): { csv: string; split: Map<string, string>; assignment: string[] } {
  const assignment = stratifiedSplit(ph2.images.map((im) => im.label), o.seed, o.val, o.test);
  const split = new Map(ph2.images.map((im, i) => [im.id, assignment[i]!]));
  const csv = path.join(dir, 'ph2.csv');
  fs.writeFileSync(csv, ['path,label,split', ...ph2.images.map((im) => `${im.image},${ph2.classes[im.label]},${split.get(im.id)}`)].join('\n') + '\n');
  return { csv, split, assignment };
}
