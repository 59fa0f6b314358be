/** Writes samples/skin-lesions: images/<id>.png, labels.csv, boxes.coco.json. */
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomicSync } from '../../server/src/data/atomicWrite';
import { serializeCoco, type CocoDataset } from '../../server/src/formats/coco';
import { createRng, deriveSeed } from '../../server/src/transforms/rng';
import { renderSkinImage, SKIN_CLASSES, SKIN_COUNTS, SKIN_SIZE, type SkinClass } from './skin';
import { splitClass, type Split } from './splits';

export interface SkinSummary {
  images: number;
  counts: Record<SkinClass, number>;
  bytes: number;
}

export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 6, bitDepth: 8 });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 6, deflateLevel: 9 });
}

export function generateSkinLesions(outDir: string, seed: number): SkinSummary {
  const rng = createRng(seed);
  const items: { cls: SkinClass; split: Split }[] = [];
  for (const cls of SKIN_CLASSES) {
    for (const split of splitClass(rng, SKIN_COUNTS[cls])) items.push({ cls, split });
  }
  // Shuffle so that an image's id says nothing about its class.
  rng.shuffle(items);

  const coco: CocoDataset = {
    info: { description: 'MedStudio synthetic skin lesions (samples/generate.ts)', version: '1', seed },
    images: [],
    annotations: [],
    categories: SKIN_CLASSES.map((name, i) => ({ id: i + 1, name })),
  };
  const csv = ['path,label,split'];
  let bytes = 0;
  items.forEach((item, i) => {
    const id = `skin-${String(i + 1).padStart(4, '0')}`;
    const file = `images/${id}.png`;
    const { img, png } = renderSkinFile(seed, i, item.cls, item.split);
    bytes += png.length;
    writeFileAtomicSync(path.join(outDir, file), png);
    csv.push(`${file},${item.cls},${item.split}`);
    coco.images.push({ id: i + 1, file_name: file, width: SKIN_SIZE, height: SKIN_SIZE });
    coco.annotations.push({
      id: i + 1,
      image_id: i + 1,
      category_id: SKIN_CLASSES.indexOf(item.cls) + 1,
      bbox: img.bbox,
      area: img.bbox[2] * img.bbox[3],
      iscrowd: 0,
      source: 'manual',
    });
  });
  writeFileAtomicSync(path.join(outDir, 'labels.csv'), csv.join('\n') + '\n');
  writeFileAtomicSync(path.join(outDir, 'boxes.coco.json'), serializeCoco(coco));
  return { images: items.length, counts: SKIN_COUNTS, bytes };
}

/** Image i (0-based) of the dataset as the generator writes it, byte for byte. */
export function renderSkinFile(seed: number, i: number, cls: SkinClass, split: Split): { img: ReturnType<typeof renderSkinImage>; png: Uint8Array } {
  // Each image has its own stream, so changing one class's look does not reshuffle the others.
  const img = renderSkinImage(createRng(deriveSeed(seed, i + 1)), cls, split);
  return { img, png: encodePng(img.rgba, SKIN_SIZE, SKIN_SIZE) };
}
