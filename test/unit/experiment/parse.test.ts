import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../../server/src/experiment/parse';

const good = `method: care
data:
  format: csv
  path: ../data/labels.csv
  classes: [normal, pneumonia]
  rare: [normal]
  boxes: { source: saliency }
model: { backbone: resnet, width: 32, inputSize: 28 }
train: { epochs: 10, batchSize: 64, lr: 0.001, seed: 1, balance: sampler }
`;

test('a valid experiment resolves paths against its folder and fills defaults', () => {
  const r = parseExperiment(good, '/ws/exp/care.medstudio.yaml');
  assert.deepEqual(r.problems, []);
  const e = r.experiment!;
  assert.equal(e.data.path, '/ws/data/labels.csv');
  assert.equal(e.care.alpha, 0.01);
  assert.equal(e.care.threshold, 0.5);
  assert.equal(e.train.optimizer, 'adam');
  assert.equal(e.name, 'care');
});

test('an unknown key is reported on its own line with a suggestion', () => {
  const r = parseExperiment(good.replace('seed: 1', 'sed: 1'), 'x.medstudio.yaml');
  assert.equal(r.experiment, undefined);
  const p = r.problems.find((q) => q.message.includes("unknown key 'sed'"));
  assert.ok(p, JSON.stringify(r.problems));
  assert.match(p.message, /did you mean 'seed'/);
  assert.equal(p.start.line, 8);
});

test('bad values name the key, the expectation and the line', () => {
  const r = parseExperiment(good.replace('lr: 0.001', 'lr: fast').replace('method: care', 'method: magic'), 'x.medstudio.yaml');
  const msgs = r.problems.map((p) => `${p.start.line}:${p.message}`);
  assert.ok(msgs.some((m) => m.startsWith('0:') && m.includes("'magic' is not a valid method")), msgs.join('\n'));
  assert.ok(msgs.some((m) => m.startsWith('8:') && m.includes("'train.lr' must be a number")), msgs.join('\n'));
});

test('a rare class that is not among the classes is an error at that item', () => {
  const r = parseExperiment(good.replace('rare: [normal]', 'rare: [normall]'), 'x.medstudio.yaml');
  const p = r.problems.find((q) => q.message.includes("rare class 'normall'"));
  assert.ok(p);
  assert.equal(p.start.line, 5);
  assert.equal(p.start.character, 9);
});

test('YAML syntax errors are reported, not thrown', () => {
  const r = parseExperiment('method: care\ndata: [unclosed\n', 'x.medstudio.yaml');
  assert.ok(r.problems.length > 0);
  assert.match(r.problems[0]!.message, /YAML syntax/);
});

test('the contributed JSON schema is in sync with the experiment schema', async () => {
  const fs = await import('node:fs');
  const { JSON_SCHEMA_PATH, jsonSchemaText } = await import('../../../server/src/experiment/writeJsonSchema');
  assert.equal(fs.readFileSync(JSON_SCHEMA_PATH, 'utf8'), jsonSchemaText(), "run 'npm run schema' to regenerate it");
});

test('segment2d and image + mask data go together, and segment2d needs its masks folder', () => {
  const seg = 'method: segment2d\ndata:\n  format: images\n  path: images\n  labels: masks\nmodel: { inputSize: 64 }\n';
  assert.deepEqual(parseExperiment(seg, '/ws/seg.medstudio.yaml').problems, []);
  const noLabels = parseExperiment(seg.replace('  labels: masks\n', ''), 'x.medstudio.yaml').problems;
  assert.match(noLabels[0]!.message, /method 'segment2d' needs data.labels/);
  assert.equal(noLabels[0]!.start.line, 3);
  const csv = parseExperiment(seg.replace('format: images', 'format: csv'), 'x.medstudio.yaml').problems;
  assert.match(csv[0]!.message, /method 'segment2d' reads data.format 'images'.*not 'csv'/);
  assert.equal(csv[0]!.start.line, 2);
  const care = parseExperiment(good.replace('format: csv', 'format: images'), 'x.medstudio.yaml').problems;
  assert.ok(care.some((p) => /data.format 'images' \(image \+ mask pairs\) is for method 'segment2d', not 'care'/.test(p.message)), JSON.stringify(care));
});
