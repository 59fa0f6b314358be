import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadExperiment } from '../../../server/src/experiment/load';
import { boxIou, parseCoco } from '../../../server/src/formats/coco';
import { generateBoxesFile } from '../../../server/src/boxes/generate';
import { suggestBoxes } from '../../../server/src/boxes/suggest';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

test('segmentation boxes: a small net trained on saliency pseudo-masks finds the lesions, and its model answers suggestions', async () => {
  await ensureBackend({ backend: 'wasm' });
  const fx = makeLesionFixture();
  const exp = await loadExperiment(writeExperiment(fx, 'seg', 'method: supervised\ndata: { format: csv, path: data/labels.csv }\nmodel: { inputSize: 16 }\n'));
  const out = path.join(fx.root, 'seg', 'boxes.segmentation.coco.json');
  await generateBoxesFile(exp, 'segmentation', out, { runDir: path.dirname(out), segEpochs: 30 });
  const coco = parseCoco(fs.readFileSync(out, 'utf8'), out);
  const ious = coco.annotations.map((a) => boxIou(a.bbox, fx.boxes.get(coco.images.find((i) => i.id === a.image_id)!.file_name.replace(/^.*data\//, ''))!));
  assert.ok(coco.annotations.every((a) => a.source === 'segmentation'));
  const mean = ious.reduce((x, y) => x + y, 0) / Math.max(1, ious.length);
  assert.ok(coco.annotations.length >= fx.boxes.size * 0.8 && mean >= 0.4, `${coco.annotations.length} boxes, mean IoU ${mean}`);
  const first = path.join(fx.root, 'data', [...fx.boxes.keys()][0]!);
  const s = await suggestBoxes(first, 'segmentation', { runDir: path.dirname(out) });
  assert.ok(s.length <= 1 && s.every((b) => b.source === 'segmentation'));
});
