/**
 * A tiny generated lesion dataset for CARE tests: 16x16 RGB PNGs, a dark textured background with
 * one bright disc whose colour and size depend on the class, a CSV with splits, and a COCO file
 * with each lesion's true box. Three classes, the last one rare.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { createRng } from '../../../server/src/transforms/rng';

export const CLASSES = ['common', 'middle', 'rare'];
const COLOURS: [number, number, number][] = [
  [200, 150, 90],
  [90, 180, 220],
  [230, 60, 60],
];

export interface Fixture {
  root: string;
  csv: string;
  coco: string;
  /** True boxes by file name (relative to root). */
  boxes: Map<string, [number, number, number, number]>;
}

/** Writes the dataset into a fresh temp folder (with a package.json, so runs land inside it). */
export function makeLesionFixture(opts: { size?: number; perSplit?: Record<'train' | 'val' | 'test', [number, number, number]>; seed?: number } = {}): Fixture {
  const size = opts.size ?? 16;
  const perSplit = opts.perSplit ?? { train: [10, 6, 4], val: [2, 2, 2], test: [2, 2, 2] };
  const rng = createRng(opts.seed ?? 11);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-care-'));
  fs.writeFileSync(path.join(root, 'package.json'), '{}');
  fs.mkdirSync(path.join(root, 'data', 'images'), { recursive: true });
  const rows = ['path,label,split'];
  const images: { id: number; file_name: string; width: number; height: number }[] = [];
  const annotations: unknown[] = [];
  const boxes = new Map<string, [number, number, number, number]>();
  let id = 0;
  for (const split of ['train', 'val', 'test'] as const) {
    perSplit[split].forEach((count, label) => {
      for (let n = 0; n < count; n++) {
        id++;
        const r = size * (0.16 + 0.06 * label) + rng.uniform(0, size * 0.05);
        const cx = rng.uniform(r + 1, size - r - 1);
        const cy = rng.uniform(r + 1, size - r - 1);
        const png = new PNG({ width: size, height: size });
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
            const base = inside ? COLOURS[label]! : [60, 45, 40];
            const o = (y * size + x) * 4;
            for (let c = 0; c < 3; c++) png.data[o + c] = Math.max(0, Math.min(255, Math.round(base[c]! + rng.uniform(-12, 12))));
            png.data[o + 3] = 255;
          }
        }
        const file = `images/img-${String(id).padStart(3, '0')}.png`;
        fs.writeFileSync(path.join(root, 'data', file), PNG.sync.write(png));
        rows.push(`${file},${CLASSES[label]},${split}`);
        const bbox: [number, number, number, number] = [cx - r, cy - r, 2 * r, 2 * r].map((v) => Math.round(v * 100) / 100) as [number, number, number, number];
        boxes.set(file, bbox);
        images.push({ id, file_name: file, width: size, height: size });
        annotations.push({ id, image_id: id, category_id: label + 1, bbox, area: bbox[2] * bbox[3], iscrowd: 0, source: 'manual' });
      }
    });
  }
  const csv = path.join(root, 'data', 'labels.csv');
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const coco = path.join(root, 'data', 'boxes.coco.json');
  fs.writeFileSync(coco, JSON.stringify({ images, annotations, categories: CLASSES.map((name, i) => ({ id: i + 1, name })) }));
  return { root, csv, coco, boxes };
}

/** Writes an experiment file into the fixture and returns its path. */
export function writeExperiment(fx: Fixture, name: string, body: string): string {
  const f = path.join(fx.root, `${name}.medstudio.yaml`);
  fs.writeFileSync(f, body);
  return f;
}
