import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../server/src/data/atomicWrite';
import { readCocoFile, readSlicerRoiFile, writeCocoFile, writeSlicerRoiFile } from '../../../server/src/data/boxes';
import { CocoFormatError, emptyCoco, serializeCoco } from '../../../server/src/formats/coco';
import { tempDir } from './fixtures';

test('COCO files: written atomically and read back; an invalid dataset is refused and nothing is written', async () => {
  const dir = tempDir('boxes');
  const file = path.join(dir, 'sub', 'boxes.coco.json');
  const ds = emptyCoco(['a', 'b']);
  ds.images.push({ id: 1, file_name: 'x.png', width: 10, height: 10 });
  ds.annotations.push({ id: 1, image_id: 1, category_id: 2, bbox: [1, 1, 3, 3], area: 9, iscrowd: 0, source: 'saliency', score: 0.4 });
  await writeCocoFile(file, ds);
  assert.equal(fs.readFileSync(file, 'utf8'), serializeCoco(ds));
  assert.deepEqual(await readCocoFile(file), ds);
  const bad = { ...ds, annotations: [{ ...ds.annotations[0]!, bbox: [8, 8, 5, 5] as [number, number, number, number] }] };
  const other = path.join(dir, 'bad.coco.json');
  await assert.rejects(writeCocoFile(other, bad), (e: unknown) => e instanceof CocoFormatError && e.issues[0]!.code === 'outside-image' && e.message.startsWith(other));
  assert.equal(fs.existsSync(other), false);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['boxes.coco.json'], 'no temp files left behind');
  await assert.rejects(readCocoFile(path.join(dir, 'none.json')), /none\.json: cannot read \(does not exist\)/);
});

test('Slicer ROI files round-trip; writeFileAtomic replaces a file whole', async () => {
  const dir = tempDir('roi');
  const file = path.join(dir, 'n.mrk.json');
  const rois = [{ coordinateSystem: 'LPS' as const, center: [1, 2, 3] as [number, number, number], size: [4, 5, 6] as [number, number, number], orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number], label: 'n1', source: 'manual' as const }];
  await writeSlicerRoiFile(file, rois);
  assert.deepEqual(await readSlicerRoiFile(file), rois);
  await writeFileAtomic(file, 'replaced');
  assert.equal(fs.readFileSync(file, 'utf8'), 'replaced');
  assert.deepEqual(fs.readdirSync(dir), ['n.mrk.json']);
});
