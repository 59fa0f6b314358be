import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadExperiment } from '../../../server/src/experiment/load';
import { boxIou, parseCoco } from '../../../server/src/formats/coco';
import { generateBoxesFile } from '../../../server/src/boxes/generate';
import { trainSegNet } from '../../../server/src/boxes/segmentation';
import { suggestBoxes } from '../../../server/src/boxes/suggest';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

test('segmentation boxes: a small net trained on saliency pseudo-masks finds the lesions, and its model answers suggestions', async () => {
  await ensureBackend({ backend: 'wasm' });
  const fx = makeLesionFixture();
  const exp = await loadExperiment(writeExperiment(fx, 'seg', 'method: supervised\ndata: { format: csv, path: data/labels.csv }\nmodel: { inputSize: 16 }\n'));
  const out = path.join(fx.root, 'seg', 'boxes.segmentation.coco.json');
  await generateBoxesFile(exp, 'segmentation', out, { runDir: path.dirname(out), segEpochs: 30 });
  const coco = parseCoco(fs.readFileSync(out, 'utf8'), out);
  // The net trains in process: nothing but its model and the boxes lands in the run folder (no checkpoints/, no metrics.jsonl).
  assert.deepEqual(fs.readdirSync(path.dirname(out)).sort(), ['boxes.segmentation.coco.json', 'segmentation-model']);
  const ious = coco.annotations.map((a) => boxIou(a.bbox, fx.boxes.get(coco.images.find((i) => i.id === a.image_id)!.file_name.replace(/^.*data\//, ''))!));
  assert.ok(coco.annotations.every((a) => a.source === 'segmentation'));
  const mean = ious.reduce((x, y) => x + y, 0) / Math.max(1, ious.length);
  assert.ok(coco.annotations.length >= fx.boxes.size * 0.8 && mean >= 0.4, `${coco.annotations.length} boxes, mean IoU ${mean}`);
  const first = path.join(fx.root, 'data', [...fx.boxes.keys()][0]!);
  const s = await suggestBoxes(first, 'segmentation', { runDir: path.dirname(out) });
  assert.ok(s.length <= 1 && s.every((b) => b.source === 'segmentation'));
});

/** Tiny random images and masks: enough steps to see where training stops. */
function tinySet(n: number, maskFill?: number) {
  const S = 8;
  const images = Array.from({ length: n }, (_, k) => Float32Array.from({ length: S * S }, (_, i) => ((i * 7 + k * 3) % 11) / 11));
  const masks = Array.from({ length: n }, () => Float32Array.from({ length: S * S }, (_, i) => maskFill ?? (i % 9 < 3 ? 1 : 0)));
  return { images, masks, S };
}

test('the segmentation net trains on the shared trainer: a non-finite loss is refused, naming the phase and step', async () => {
  await ensureBackend({ backend: 'wasm' });
  const { images, masks, S } = tinySet(4, NaN);
  await assert.rejects(trainSegNet(images, masks, S, 1, { epochs: 2, batchSize: 2, lr: 0.01, seed: 1 }), /training diverged in phase segmentation net at epoch 1, step 1 \(loss NaN\)/);
});

test('cancelling box generation stops the segmentation net after the current step, with no checkpoint, instead of boxing with a half-trained net', async () => {
  await ensureBackend({ backend: 'wasm' });
  const { images, masks, S } = tinySet(8);
  const ac = new AbortController();
  ac.abort();
  const logs: string[] = [];
  await assert.rejects(trainSegNet(images, masks, S, 1, { epochs: 3, batchSize: 2, lr: 0.01, seed: 1, signal: ac.signal, log: (m) => logs.push(m) }), /box generation cancelled/);
  assert.ok(logs.includes('stopped at epoch 1, step 1/4; no checkpoint (in process)'), logs.join('\n'));
});
