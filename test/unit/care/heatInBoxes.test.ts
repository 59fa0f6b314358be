/** The Grad-CAM-in-box measure the demo prints: a share in [0, 1] against the true boxes, 1 when the box is the whole image. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadClassificationDataset } from '../../../server/src/data/datasets';
import { buildResNetClassifier } from '../../../server/src/networks/resnet';
import { heatInBoxes } from '../../../server/src/methods/care/heatInBoxes';
import { makeLesionFixture } from './fixture';

test('heat in boxes: the share of Grad-CAM heat inside the lesion boxes and the boxes\' area, over the test images of the classes asked for', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const net = buildResNetClassifier({ inputSize: 16, channels: 3, width: 4, depth: 1, stages: 2, numClasses: 3, seed: 2 });
  const ds = await loadClassificationDataset({ format: 'csv', path: fx.csv, inputSize: 16, seed: 1 });
  const rare = await heatInBoxes(net, ds, 'test', new Set([2]));
  assert.equal(rare.images, 2, 'the two rare test images');
  assert.ok(rare.share >= 0 && rare.share <= 1);
  const boxes = ds.split('test').filter((s) => s.label === 2).map((s) => fx.boxes.get(path.relative(path.join(fx.root, 'data'), s.path!).split(path.sep).join('/'))!);
  const area = boxes.reduce((a, b) => a + (Math.round(b[2]) * Math.round(b[3])) / 256, 0) / boxes.length;
  assert.ok(Math.abs(rare.area - area) < 0.1, `box area share ${rare.area} vs ${area} from the COCO boxes`);

  // Boxes that cover the whole image hold all the heat.
  const coco = JSON.parse(fs.readFileSync(fx.coco, 'utf8')) as { annotations: { bbox: number[] }[] };
  for (const a of coco.annotations) a.bbox = [0, 0, 16, 16];
  fs.writeFileSync(fx.coco, JSON.stringify(coco));
  const whole = await heatInBoxes(net, await loadClassificationDataset({ format: 'csv', path: fx.csv, inputSize: 16, seed: 1 }), 'test', new Set([0, 1, 2]));
  assert.equal(whole.images, 6);
  assert.ok(Math.abs(whole.share - 1) < 1e-6 && Math.abs(whole.area - 1) < 1e-6, JSON.stringify(whole));
  await assert.rejects(heatInBoxes(net, ds, 'test', new Set([7])), /no test image of the classes asked for has a lesion box/);
  net.dispose();
});
