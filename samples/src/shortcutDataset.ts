/** Writes samples/shortcut-lesions: images/<id>.png, labels.csv, boxes.coco.json (one true lesion box per image). */
import * as path from 'node:path';
import { writeFileAtomicSync } from '../../server/src/data/atomicWrite';
import { serializeCoco, type CocoDataset } from '../../server/src/formats/coco';
import { createRng, deriveSeed } from '../../server/src/transforms/rng';
import { renderShortcutImage, SHORTCUT_CLASSES, SHORTCUT_COUNTS, SHORTCUT_SIZE, type ShortcutClass } from './shortcut';
import { encodePng } from './skinDataset';
import { splitClass, type Split } from './splits';

export interface ShortcutSummary {
  images: number;
  /** Images with the ink mark, by split and class. */
  inkMarks: Record<Split, Record<ShortcutClass, string>>;
}

export function generateShortcutLesions(outDir: string, seed: number): ShortcutSummary {
  // Its own stream, so the skin sample's files stay byte for byte what they were.
  const rng = createRng(deriveSeed(seed, 0x5c));
  const items: { cls: ShortcutClass; split: Split }[] = [];
  // 30% test (more than the skin sample's 15%): the rare class needs enough test images to measure its recall.
  for (const cls of SHORTCUT_CLASSES) for (const split of splitClass(rng, SHORTCUT_COUNTS[cls], 0.15, 0.3)) items.push({ cls, split });
  rng.shuffle(items);

  const coco: CocoDataset = {
    info: { description: 'MedStudio shortcut lesions: class signal inside the lesion box, a training-only cue outside it (samples/generate.ts)', version: '1', seed },
    images: [],
    annotations: [],
    categories: SHORTCUT_CLASSES.map((name, i) => ({ id: i + 1, name })),
  };
  const csv = ['path,label,split'];
  const marks = new Map<string, [number, number]>();
  items.forEach((item, i) => {
    const file = `images/lesion-${String(i + 1).padStart(4, '0')}.png`;
    const { img, png } = renderShortcutFile(seed, i, item.cls, item.split);
    writeFileAtomicSync(path.join(outDir, file), png);
    csv.push(`${file},${item.cls},${item.split}`);
    coco.images.push({ id: i + 1, file_name: file, width: SHORTCUT_SIZE, height: SHORTCUT_SIZE });
    coco.annotations.push({ id: i + 1, image_id: i + 1, category_id: SHORTCUT_CLASSES.indexOf(item.cls) + 1, bbox: img.bbox, area: img.bbox[2] * img.bbox[3], iscrowd: 0, source: 'manual' });
    const key = `${item.split}/${item.cls}`;
    const [m, n] = marks.get(key) ?? [0, 0];
    marks.set(key, [m + (img.inkMark ? 1 : 0), n + 1]);
  });
  writeFileAtomicSync(path.join(outDir, 'labels.csv'), csv.join('\n') + '\n');
  writeFileAtomicSync(path.join(outDir, 'boxes.coco.json'), serializeCoco(coco));
  const of = (s: Split, c: ShortcutClass) => `${marks.get(`${s}/${c}`)?.[0] ?? 0}/${marks.get(`${s}/${c}`)?.[1] ?? 0}`;
  const bySplit = (s: Split) => Object.fromEntries(SHORTCUT_CLASSES.map((c) => [c, of(s, c)])) as Record<ShortcutClass, string>;
  return { images: items.length, inkMarks: { train: bySplit('train'), val: bySplit('val'), test: bySplit('test') } };
}

/** Image i (0-based) of the dataset as the generator writes it, byte for byte. */
export function renderShortcutFile(seed: number, i: number, cls: ShortcutClass, split: Split): { img: ReturnType<typeof renderShortcutImage>; png: Uint8Array } {
  // Each image has its own stream, so changing one image's look does not reshuffle the others.
  const img = renderShortcutImage(createRng(deriveSeed(deriveSeed(seed, 0x5c), i + 1)), cls, split);
  return { img, png: encodePng(img.rgba, SHORTCUT_SIZE, SHORTCUT_SIZE) };
}
