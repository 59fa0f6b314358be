/**
 * The committed samples: what other engineers train on. Checks their promises (classes,
 * imbalance, boxes on the lesions, label values, ROIs on the nodules through non-identity
 * directions) and that the generator still reproduces them byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage } from '../../../server/src/data/readers';
import { parseCoco } from '../../../server/src/formats/coco';
import { parseSlicerRoi, roiToVoxelBox, voxelRange } from '../../../server/src/formats/slicerRoi';
import { DEFAULT_SEED } from '../../../samples/src/seed';
import { renderCtFiles } from '../../../samples/src/ctDataset';
import { renderSkinFile } from '../../../samples/src/skinDataset';
import type { SkinClass } from '../../../samples/src/skin';
import { renderShortcutFile } from '../../../samples/src/shortcutDataset';
import type { ShortcutClass } from '../../../samples/src/shortcut';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../samples');
const skin = path.join(root, 'skin-lesions');
const ct = path.join(root, 'ct-nodules');
const rows = (csv: string) => fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

test('skin-lesions: 5+ classes, rare classes <= 5%, every split has every class, one valid box per image', () => {
  const r = rows(path.join(skin, 'labels.csv'));
  const coco = parseCoco(fs.readFileSync(path.join(skin, 'boxes.coco.json'), 'utf8'));
  const classes = coco.categories.map((c) => c.name);
  assert.ok(classes.length >= 5);
  const share = (c: string) => r.filter((x) => x[1] === c).length / r.length;
  const rare = classes.filter((c) => share(c) <= 0.05);
  assert.ok(rare.length >= 2, `rare classes: ${rare.join(', ')}`);
  assert.ok(share(classes[0]!) > 0.4, 'the head class dominates');
  for (const split of ['train', 'val', 'test']) for (const c of classes) assert.ok(r.some((x) => x[1] === c && x[2] === split), `${c} in ${split}`);
  assert.equal(coco.images.length, r.length);
  const byFile = new Map(coco.images.map((i) => [i.file_name, i]));
  for (const [file, label] of r) {
    const img = byFile.get(file!);
    assert.ok(img, `${file} has a COCO entry`);
    const anns = coco.annotations.filter((a) => a.image_id === img.id);
    assert.equal(anns.length, 1);
    assert.equal(classes[anns[0]!.category_id - 1], label);
    assert.equal(anns[0]!.source, 'manual');
  }
});

test('skin-lesions: images are 64x64 RGB and the generator reproduces them byte for byte', async () => {
  const r = rows(path.join(skin, 'labels.csv'));
  for (const i of [0, 1, r.findIndex((x) => x[1] === 'vascular')]) {
    const [file, cls, split] = r[i]!;
    const committed = fs.readFileSync(path.join(skin, file!));
    const { png } = renderSkinFile(DEFAULT_SEED, i, cls as SkinClass, split as 'train');
    assert.ok(Buffer.from(png).equals(committed), `${file} differs from a fresh render: run npm run samples`);
    const img = await readImage(path.join(skin, file!));
    assert.deepEqual([img.dims, img.components, img.pixelType], [[64, 64, 1], 3, 'uint8']);
  }
});

test('ct-nodules: 48^3 int16 HU volumes, labels 0/1/2, ROIs land on nodule voxels for every direction', async () => {
  const manifest = rows(path.join(ct, 'manifest.csv'));
  assert.ok(manifest.length >= 16 && manifest.length <= 24);
  let nonIdentity = 0;
  // Check the volumes with a non-identity direction and two ordinary ones (keeps the test fast).
  const ids = ['ct-001', 'ct-002', 'ct-003', 'ct-007', 'ct-011'];
  for (const id of ids) {
    const row = manifest.find((m) => m[0] === `volumes/${id}.nii.gz`)!;
    const vol = await readImage(path.join(ct, row[0]!));
    const lab = await readImage(path.join(ct, 'labels', `${id}.nii.gz`));
    assert.deepEqual(vol.dims, [48, 48, 48]);
    assert.equal(vol.pixelType, 'int16');
    assert.ok(vol.min <= -990 && vol.max >= 200, `${id} HU range ${vol.min}..${vol.max}`);
    assert.deepEqual([...new Set(lab.data)].sort(), row[1] === 'nodule' ? [0, 1, 2] : [0, 1]);
    if (vol.direction.some((v, i) => Math.abs(v - [1, 0, 0, 0, 1, 0, 0, 0, 1][i]!) > 1e-6)) nonIdentity++;
    const roiFile = path.join(ct, 'boxes', `${id}.mrk.json`);
    assert.equal(fs.existsSync(roiFile), row[1] === 'nodule', `${id}: ROI file exists iff it has nodules`);
    if (!fs.existsSync(roiFile)) continue;
    const covered = new Set<number>();
    for (const roi of parseSlicerRoi(fs.readFileSync(roiFile, 'utf8'))) {
      assert.equal(roi.coordinateSystem, 'LPS');
      const range = voxelRange(roiToVoxelBox(roi, vol), vol.dims)!;
      let inside = 0;
      for (let k = range.lo[2]; k <= range.hi[2]; k++) {
        for (let j = range.lo[1]; j <= range.hi[1]; j++) {
          for (let i = range.lo[0]; i <= range.hi[0]; i++) {
            const at = (k * 48 + j) * 48 + i;
            if (lab.data[at] === 2) {
              inside++;
              covered.add(at);
            }
          }
        }
      }
      assert.ok(inside > 0, `${id} ${roi.label} covers nodule voxels`);
    }
    let all = 0;
    for (let i = 0; i < lab.data.length; i++) if (lab.data[i] === 2) all++;
    assert.equal(covered.size, all, `${id}: every nodule voxel lies in some ROI`);
  }
  assert.equal(nonIdentity, 3);
});

test('ct-nodules: the generator reproduces a case byte for byte', () => {
  const files = renderCtFiles(DEFAULT_SEED, 2, 'nodule');
  assert.ok(Buffer.from(files.volume).equals(fs.readFileSync(path.join(ct, 'volumes', 'ct-003.nii.gz'))), 'ct-003 volume: run npm run samples');
  assert.ok(Buffer.from(files.labels).equals(fs.readFileSync(path.join(ct, 'labels', 'ct-003.nii.gz'))));
  assert.equal(files.rois, fs.readFileSync(path.join(ct, 'boxes', 'ct-003.mrk.json'), 'utf8'));
});

const shortcut = path.join(root, 'shortcut-lesions');

/** Pixels of the green ink mark (the spurious cue): green well above red and blue. */
function inkPixels(rgb: Uint8Array | Float32Array | ArrayLike<number>, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < size * size; p++) if (rgb[p * 3 + 1]! - rgb[p * 3]! > 50 && rgb[p * 3 + 1]! - rgb[p * 3 + 2]! > 50) out.push([p % size, Math.floor(p / size)]);
  return out;
}

test('shortcut-lesions: a rare malignant class with a true box per image, and a green ink mark outside the box that marks malignant images in training only', async () => {
  const r = rows(path.join(shortcut, 'labels.csv'));
  const coco = parseCoco(fs.readFileSync(path.join(shortcut, 'boxes.coco.json'), 'utf8'));
  assert.deepEqual(coco.categories.map((c) => c.name), ['benign', 'malignant']);
  assert.ok(r.filter((x) => x[1] === 'malignant').length / r.length < 0.15, 'malignant is the rare class');
  const byFile = new Map(coco.images.map((i) => [i.file_name, i]));
  const marked = new Map<string, [number, number]>();
  for (const [file, label, split] of r) {
    const ann = coco.annotations.filter((a) => a.image_id === byFile.get(file!)!.id);
    assert.equal(ann.length, 1);
    assert.equal(coco.categories[ann[0]!.category_id - 1]!.name, label);
    const [bx, by, bw, bh] = ann[0]!.bbox;
    const img = await readImage(path.join(shortcut, file!));
    assert.deepEqual([img.dims, img.components], [[32, 32, 1], 3]);
    const ink = inkPixels(img.data as Uint8Array, 32);
    for (const [x, y] of ink) assert.ok(x < bx || x >= bx + bw || y < by || y >= by + bh, `${file}: ink pixel (${x}, ${y}) inside the lesion box`);
    const key = `${split}/${label}`;
    const [m, n] = marked.get(key) ?? [0, 0];
    marked.set(key, [m + (ink.length > 0 ? 1 : 0), n + 1]);
  }
  const share = (k: string) => marked.get(k)![0] / marked.get(k)![1];
  assert.ok(share('train/malignant') >= 0.8 && share('train/benign') <= 0.1, `training: the mark goes with malignant (${JSON.stringify([...marked])})`);
  for (const split of ['val', 'test']) for (const c of ['benign', 'malignant']) assert.ok(share(`${split}/${c}`) > 0.1 && share(`${split}/${c}`) < 0.5, `${split}/${c}: the mark is independent of the class`);
});

test('shortcut-lesions: the generator reproduces its images byte for byte', () => {
  const r = rows(path.join(shortcut, 'labels.csv'));
  for (const i of [0, 1, r.findIndex((x) => x[1] === 'malignant')]) {
    const [file, cls, split] = r[i]!;
    const { png } = renderShortcutFile(DEFAULT_SEED, i, cls as ShortcutClass, split as 'train');
    assert.ok(Buffer.from(png).equals(fs.readFileSync(path.join(shortcut, file!))), `${file} differs from a fresh render: run npm run samples`);
  }
});
