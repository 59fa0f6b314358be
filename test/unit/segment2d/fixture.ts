/**
 * Image + mask pairs for segment2d tests: the CARE lesion fixture's PNGs (a bright disc per image,
 * three classes, the last rare) with a binary mask per image (0/255, `<stem>_lesion.png` as PH2
 * names them), so one folder serves segment2d and CARE with boxes from a segment2d run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { makeLesionFixture, type Fixture } from '../care/fixture';

export interface SegFixture extends Fixture {
  masks: string;
}

export function makeSegFixture(opts: { size?: number; empty?: boolean } = {}): SegFixture {
  const size = opts.size ?? 32;
  const fx = makeLesionFixture({ size });
  const masks = path.join(fx.root, 'data', 'masks');
  fs.mkdirSync(masks);
  for (const [file, [bx, by, bw]] of fx.boxes) {
    const r = bw / 2;
    const [cx, cy] = [bx + r, by + r];
    const png = new PNG({ width: size, height: size, colorType: 0 });
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const on = !opts.empty && (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
        const o = (y * size + x) * 4;
        png.data.fill(on ? 255 : 0, o, o + 3);
        png.data[o + 3] = 255;
      }
    fs.writeFileSync(path.join(masks, path.basename(file).replace(/\.png$/, '_lesion.png')), PNG.sync.write(png, { colorType: 0 }));
  }
  return { ...fx, masks };
}

/** A split CSV (path,split) for the images folder, from the fixture's labels.csv. */
export function writeSplit(fx: Fixture): string {
  const rows = fs.readFileSync(fx.csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const file = path.join(fx.root, 'data', 'split.csv');
  fs.writeFileSync(file, ['path,split', ...rows.map(([p, , s]) => `${p},${s}`)].join('\n') + '\n');
  return file;
}
