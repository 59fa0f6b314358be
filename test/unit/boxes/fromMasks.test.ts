/** Manual boxes from lesion masks (data.boxes.source: masks): one box around each mask's foreground, matched by image stem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { boxesFromMasks, maskBox, masksByStem } from '../../../server/src/boxes/fromMasks';
import { loadExperiment } from '../../../server/src/experiment/load';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

test('a mask gives the box around all its foreground pixels, in any colour channel, alpha aside', () => {
  const m = new Uint8Array(5 * 4 * 4).fill(0);
  for (let i = 0; i < 20; i++) m[i * 4 + 3] = 255;
  m[(1 * 5 + 1) * 4] = 255;
  m[(2 * 5 + 3) * 4 + 2] = 1;
  assert.deepEqual(maskBox(m, 5, 4, 4), [1, 1, 3, 2]);
  assert.equal(maskBox(new Uint8Array(20), 5, 4, 1), undefined);
});

test('masks match images by stem, exactly or as <stem>_<suffix> (PH2: IMD002_lesion.png)', () => {
  const dir = fs.mkdtempSync(path.join(makeLesionFixture({ perSplit: { train: [1, 0, 0], val: [0, 0, 0], test: [0, 0, 0] } }).root, 'masks-'));
  for (const f of ['IMD002_lesion.png', 'a.png', 'a_lesion.png', 'notes.txt']) fs.writeFileSync(path.join(dir, f), '');
  const m = masksByStem(dir);
  assert.equal(m.get('IMD002'), path.join(dir, 'IMD002_lesion.png'));
  assert.equal(m.get('a'), path.join(dir, 'a.png'), 'an exact name wins');
  assert.ok(!m.has('notes'));
});

test('boxes.source masks: every image with a mask gets a manual box matching its lesion, images without one are left unboxed', async () => {
  const fx = makeLesionFixture();
  const maskDir = path.join(fx.root, 'data', 'masks');
  fs.mkdirSync(maskDir);
  const files = [...fx.boxes.keys()];
  for (const file of files.slice(1)) {
    const [bx, by, bw, bh] = fx.boxes.get(file)!;
    const png = new PNG({ width: 16, height: 16 });
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) png.data[(y * 16 + x) * 4 + 3] = 255;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const on = x + 0.5 >= bx && x + 0.5 < bx + bw && y + 0.5 >= by && y + 0.5 < by + bh;
        for (let c = 0; c < 3; c++) png.data[(y * 16 + x) * 4 + c] = on ? 255 : 0;
      }
    }
    fs.writeFileSync(path.join(maskDir, path.basename(file).replace('.png', '_lesion.png')), PNG.sync.write(png));
  }
  const exp = await loadExperiment(writeExperiment(fx, 'masks', `name: masks\nmethod: care\ndata: { format: csv, path: data/labels.csv, rare: [rare], boxes: { source: masks, path: data/masks } }\nmodel: { inputSize: 16 }\n`));
  const coco = await boxesFromMasks(exp, path.join(fx.root, 'data'));
  assert.equal(coco.images.length, files.length - 1);
  assert.equal(coco.annotations.length, files.length - 1);
  for (const a of coco.annotations) {
    const img = coco.images.find((i) => i.id === a.image_id)!;
    const truth = fx.boxes.get(img.file_name)!;
    assert.equal(a.source, 'manual');
    a.bbox.forEach((v, k) => assert.ok(Math.abs(v - truth[k]!) <= 1, `${img.file_name}: ${a.bbox} vs ${truth}`));
  }
  assert.ok(!coco.images.some((i) => i.file_name === files[0]), 'the image without a mask has no entry');
});
