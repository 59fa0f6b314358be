import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { imageSize, scanDataset } from '../../../extension/src/editors/annotator/datasetScan';

function png(w: number, h: number): Buffer {
  return PNG.sync.write(new PNG({ width: w, height: h }));
}

/** The smallest JPEG header that names a frame size: SOI, an APP0 block, SOF0. */
function jpegHeader(w: number, h: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 0x08, h >> 8, h & 255, w >> 8, w & 255, 0x01, 0x01, 0x11, 0x00]);
}

test('image sizes come from PNG and JPEG headers; other files give null', () => {
  assert.deepEqual(imageSize(png(37, 21)), { width: 37, height: 21 });
  assert.deepEqual(imageSize(jpegHeader(640, 480)), { width: 640, height: 480 });
  assert.equal(imageSize(new TextEncoder().encode('not an image at all')), null);
});

test('a folder-per-class dataset gives a COCO file with its images and the folder names as classes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'annot-scan-'));
  try {
    for (const [cls, w] of [['nevus', 20], ['melanoma', 30]] as const) {
      fs.mkdirSync(path.join(dir, cls));
      fs.writeFileSync(path.join(dir, cls, 'x.png'), png(w, 10));
    }
    fs.writeFileSync(path.join(dir, 'nevus', 'broken.png'), 'nope');
    fs.mkdirSync(path.join(dir, '.cache'));
    fs.writeFileSync(path.join(dir, '.cache', 'hidden.png'), png(1, 1));
    const { dataset, skipped } = scanDataset(dir, dir);
    assert.deepEqual(dataset.categories, [{ id: 1, name: 'melanoma' }, { id: 2, name: 'nevus' }]);
    assert.deepEqual(dataset.images, [
      { id: 1, file_name: 'melanoma/x.png', width: 30, height: 10 },
      { id: 2, file_name: 'nevus/x.png', width: 20, height: 10 },
    ]);
    assert.deepEqual(skipped, ['nevus/broken.png']);
    const elsewhere = scanDataset(dir, path.join(dir, 'boxes'), ['benign', 'malignant']);
    assert.equal(elsewhere.dataset.images[0]!.file_name, '../melanoma/x.png', 'paths are relative to the box file');
    assert.deepEqual(elsewhere.dataset.categories.map((c) => c.name), ['benign', 'malignant'], "the experiment's classes win");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
