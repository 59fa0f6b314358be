import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { classificationSpec, loadClassificationDataset, loadSegmentationDataset, segmentationSpec } from '../../../server/src/data/datasets';
import { parseExperiment } from '../../../server/src/experiment/parse';

const samples = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../samples');

function experiment(text: string) {
  const r = parseExperiment(text, path.join(samples, 'exp', 'x.medstudio.yaml'));
  assert.deepEqual(r.problems, []);
  return r.experiment!;
}

test('an experiment on the skin samples opens as a classification dataset with its boxes and seed', async () => {
  const e = experiment(`method: care
data:
  format: csv
  path: ../skin-lesions/labels.csv
  rare: [carcinoma, vascular]
  boxes: { source: manual, path: ../skin-lesions/boxes.coco.json }
model: { backbone: resnet, inputSize: 28, channels: 3 }
train: { seed: 5 }
`);
  const spec = classificationSpec(e);
  assert.equal(spec.path, path.join(samples, 'skin-lesions/labels.csv'));
  assert.equal(spec.boxes, path.join(samples, 'skin-lesions/boxes.coco.json'));
  assert.deepEqual([spec.inputSize, spec.seed, spec.channels], [28, 5, 3]);
  const ds = await loadClassificationDataset({ ...spec, cacheBytes: 0 });
  assert.deepEqual(ds.classes, ['nevus', 'keratosis', 'melanoma', 'carcinoma', 'vascular']);
  assert.ok(ds.samples.every((s) => s.imageId !== undefined));
  assert.match(ds.imbalance, /rare \(<= 5%\): carcinoma 26 \(4\.3%\), vascular 18 \(3\.0%\)/);
});

test('a volumes experiment on the CT samples opens as a segmentation dataset with the manifest splits', async () => {
  const e = experiment(`method: segment
data:
  format: volumes
  path: ../ct-nodules/volumes
  labels: ../ct-nodules/labels
  classes: [background, lung, nodule]
model: { backbone: vit3d, inputSize: 16 }
train: { seed: 2 }
`);
  assert.throws(() => classificationSpec(e), /segmentationSpec/);
  const ds = await loadSegmentationDataset({ ...segmentationSpec(e), intensity: { window: [-1000, 400] } });
  assert.deepEqual(ds.counts, { train: 14, val: 3, test: 3 });
  const one = await ds.load(ds.split('test')[0]!);
  assert.equal(one.image.length, 16 ** 3);
  assert.ok(one.label!.some((v) => v === 1));
});
