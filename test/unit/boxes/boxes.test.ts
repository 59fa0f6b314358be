import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { loadExperiment } from '../../../server/src/experiment/load';
import { boxIou, parseCoco } from '../../../server/src/formats/coco';
import { fft1d } from '../../../server/src/boxes/fft';
import { boxFromMap, connectedComponents, otsuThreshold } from '../../../server/src/boxes/regions';
import { saliencyBox } from '../../../server/src/boxes/saliencyBoxes';
import { generateBoxesFile } from '../../../server/src/boxes/generate';
import { suggestBoxes } from '../../../server/src/boxes/suggest';
import { createRng } from '../../../server/src/transforms/rng';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

/** A 64x64 skin-like RGB image with one dark elliptical lesion; returns pixels and the true box. */
function lesionImage(seed: number): { data: Uint8Array; box: [number, number, number, number] } {
  const rng = createRng(seed);
  const S = 64;
  const rx = rng.uniform(6, 14);
  const ry = rng.uniform(6, 14);
  const cx = rng.uniform(rx + 4, S - rx - 4);
  const cy = rng.uniform(ry + 4, S - ry - 4);
  const skin = [rng.uniform(180, 230), rng.uniform(130, 170), rng.uniform(110, 140)];
  const data = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const inside = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1;
      const n = rng.uniform(-10, 10);
      for (let c = 0; c < 3; c++) data[(y * S + x) * 3 + c] = Math.max(0, Math.min(255, Math.round((inside ? skin[c]! * 0.45 : skin[c]!) + n)));
    }
  return { data, box: [cx - rx, cy - ry, 2 * rx, 2 * ry] };
}

test('FFT round-trips and matches a hand-computed 4-point transform', () => {
  const re = Float64Array.from([1, 2, 3, 4]);
  const im = new Float64Array(4);
  fft1d(re, im);
  assert.deepEqual(Array.from(re).map((v) => Math.round(v * 1e9) / 1e9 + 0), [10, -2, -2, -2]);
  assert.deepEqual(Array.from(im).map((v) => Math.round(v * 1e9) / 1e9 + 0), [0, 2, 0, -2]);
  fft1d(re, im, true);
  Array.from(re).forEach((v, i) => assert.ok(Math.abs(v - (i + 1)) < 1e-12));
});

test('Otsu splits a bimodal histogram between its modes; components are 4-connected, largest first', () => {
  const values = [...new Array(50).fill(0.2), ...new Array(30).fill(0.8)];
  const t = otsuThreshold(values);
  assert.ok(t > 0.2 && t <= 0.8, `threshold ${t}`);
  // two blobs: 3 pixels and 1 pixel, diagonal neighbours are not connected
  const mask = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
  const comps = connectedComponents(mask, 4, 4);
  assert.deepEqual(comps.map((c) => [c.pixels, c.bbox]), [
    [3, [0, 0, 2, 2]],
    [1, [2, 2, 1, 1]],
  ]);
  const b = boxFromMap({ data: Float32Array.from(mask), width: 4, height: 4 }, 0.5);
  assert.deepEqual(b?.bbox, [2, 2, 1, 1], 'an inner component a third as large wins over one touching the border');
});

for (const method of ['frequency-tuned', 'spectral-residual'] as const) {
  test(`${method} saliency finds known lesions (IoU >= 0.5 on most of 10 images)`, () => {
    const ious = Array.from({ length: 10 }, (_, i) => {
      const im = lesionImage(100 + i);
      const b = saliencyBox({ data: im.data, width: 64, height: 64, components: 3 }, method);
      return b ? boxIou(b.bbox, im.box) : 0;
    });
    const good = ious.filter((v) => v >= 0.5).length;
    assert.ok(good >= (method === 'frequency-tuned' ? 9 : 6), `IoUs ${ious.map((v) => v.toFixed(2)).join(' ')}`);
  });
}

test('generated saliency boxes are valid COCO with source and score, on the right images', async () => {
  const fx = makeLesionFixture();
  const exp = await loadExperiment(writeExperiment(fx, 'boxes', 'method: supervised\ndata: { format: csv, path: data/labels.csv }\nmodel: { inputSize: 16 }\n'));
  const out = path.join(fx.root, 'out', 'boxes.saliency.coco.json');
  const n = await generateBoxesFile(exp, 'saliency', out);
  const coco = parseCoco(fs.readFileSync(out, 'utf8'), out);
  assert.equal(coco.images.length, fx.boxes.size);
  assert.equal(n, coco.annotations.length);
  assert.ok(n >= fx.boxes.size - 1);
  const ious: number[] = [];
  for (const a of coco.annotations) {
    assert.equal(a.source, 'saliency');
    assert.ok(a.score! > 0 && a.score! <= 1);
    const img = coco.images.find((i) => i.id === a.image_id)!;
    assert.ok(fs.existsSync(path.resolve(path.dirname(out), img.file_name)), img.file_name);
    ious.push(boxIou(a.bbox, fx.boxes.get(img.file_name.replace(/^.*data\//, ''))!));
  }
  const mean = ious.reduce((x, y) => x + y, 0) / ious.length;
  assert.ok(mean >= 0.5, `mean IoU ${mean}`);
});

test('the SuggestBoxes answer for one PNG: saliency box in image pixels; segmentation without a model says what is missing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-suggest-'));
  const im = lesionImage(7);
  const png = new PNG({ width: 64, height: 64 });
  for (let i = 0; i < 64 * 64; i++) {
    png.data.set(im.data.subarray(i * 3, i * 3 + 3), i * 4);
    png.data[i * 4 + 3] = 255;
  }
  const file = path.join(dir, 'lesion.png');
  fs.writeFileSync(file, PNG.sync.write(png));
  const [b] = await suggestBoxes(file, 'saliency');
  assert.equal(b?.source, 'saliency');
  assert.ok(boxIou(b!.bbox, im.box) >= 0.5, `IoU ${boxIou(b!.bbox, im.box)}`);
  await assert.rejects(suggestBoxes(file, 'segmentation', { runDir: dir }), /has no segmentation model/);
});
