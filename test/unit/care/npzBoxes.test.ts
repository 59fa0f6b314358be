/**
 * CARE on an .npz dataset (images without files): boxes are keyed by split and index, saliency
 * generates them for every array image, and a run whose rare class has no boxes refuses to start
 * stage 2 instead of training cross-entropy and reporting it as CARE.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { parseCoco } from '../../../server/src/formats/coco';
import { readMetrics, readRunInfo, runExperiment } from '../../../server/src/runs';
import { makeNpzLesionFixture, writeNpzCoco, type NpzFixture } from './npzFixture';

const experiment = (boxes: string) => `name: npz care
method: care
data: { format: npz, path: lesions.npz, classes: [benign, malignant], rare: [malignant], boxes: ${boxes} }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3 }
care: { stage1Epochs: 1 }
`;

let fx: NpzFixture;
before(async () => {
  await ensureBackend({ backend: 'cpu' });
  fx = makeNpzLesionFixture();
});

function write(name: string, body: string): string {
  const f = path.join(fx.root, `${name}.medstudio.yaml`);
  fs.writeFileSync(f, body);
  return f;
}

async function modelMeta(runDir: string): Promise<Record<string, unknown>> {
  const m = JSON.parse(fs.readFileSync(path.join(runDir, 'model', 'model.json'), 'utf8')) as { userDefinedMetadata: { medstudio: Record<string, unknown> } };
  return m.userDefinedMetadata.medstudio;
}

test('CARE with saliency boxes on an npz dataset boxes the array images and its attention loss acts on the rare class', async () => {
  const out = await runExperiment(write('saliency', experiment('{ source: saliency }')));
  assert.equal(out.info.state, 'finished');
  const coco = parseCoco(fs.readFileSync(path.join(out.info.runDir, 'boxes.saliency.coco.json'), 'utf8'), 'boxes');
  assert.equal(coco.images.length, 26, 'every array image has a COCO entry');
  assert.ok(coco.images.every((i) => /^(\.\.\/)*lesions\.npz#(train|val|test)\/\d+$/.test(i.file_name)), coco.images[0]?.file_name);
  assert.ok(coco.annotations.length >= 20, `${coco.annotations.length} saliency boxes`);
  const history = await readMetrics(out.info.runDir);
  const stage2 = history.filter((m) => m.extra?.stage === 2);
  assert.equal(stage2.length, 1);
  assert.ok((stage2[0]!.extra!.attentionLoss ?? 0) !== 0, 'stage 2 used the attention loss');
  const boxed = out.result!.test!.extra?.rareImagesWithBoxes ?? 0;
  assert.ok(boxed >= 3, `rare-class training images with boxes: ${boxed}`);
  assert.deepEqual(((await modelMeta(out.info.runDir)).rareWithBoxes as { class: string; images: number }[]).map((r) => [r.class, r.images]), [['malignant', 4]]);
  assert.match(fs.readFileSync(path.join(out.info.runDir, 'report.html'), 'utf8'), /rare-class training images with boxes.*malignant: \d of 4/);
});

test('CARE on an npz dataset trains with given boxes keyed <file>.npz#<split>/<index>', async () => {
  writeNpzCoco(fx, () => true, 'all.coco.json');
  const out = await runExperiment(write('given', experiment('{ source: manual, path: all.coco.json }')));
  assert.equal(out.info.state, 'finished');
  assert.equal(out.result!.test!.extra?.rareImagesWithBoxes, 4);
});

test('a CARE run whose rare class has no boxes refuses before stage 2, naming the class and the box source', async () => {
  writeNpzCoco(fx, (label) => label === 0, 'common-only.coco.json');
  let runDir = '';
  await assert.rejects(runExperiment(write('unboxed', experiment('{ source: manual, path: common-only.coco.json }')), { onRunCreated: (i) => (runDir = i.runDir) }), (e: Error) => {
    assert.match(e.message, /rare class 'malignant' \(0 of 4 training images\) has no lesion box/);
    assert.match(e.message, /boxes\.source 'manual', .*common-only\.coco\.json/);
    return true;
  });
  assert.equal((await readRunInfo(runDir)).state, 'failed');
  assert.ok(!fs.existsSync(path.join(runDir, 'model')), 'no model was written');
});
