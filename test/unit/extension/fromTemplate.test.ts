import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { experimentFromTemplate } from '../../../extension/src/experiments/fromTemplate';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const samples = path.join(ROOT, 'samples');

test('a new experiment copies only the dataset its template reads, points at the copy, and is named after its method', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'template-'));
  try {
    const folder = path.join(ws, 'experiments');
    const first = await experimentFromTemplate(path.join(samples, 'experiments', 'skin-care.medstudio.yaml'), samples, folder, ws);
    assert.equal(path.basename(first.file), 'care.medstudio.yaml');
    assert.deepEqual(first.copied, [path.join(folder, 'medstudio-samples', 'skin-lesions')]);
    assert.deepEqual(fs.readdirSync(path.join(folder, 'medstudio-samples')), ['skin-lesions'], 'no other dataset, no experiments folder (no duplicate experiments in pickers)');
    const data = (parseDocument(fs.readFileSync(first.file, 'utf8')).toJS() as { data: { path: string } }).data;
    assert.equal(data.path, './medstudio-samples/skin-lesions/labels.csv');
    assert.ok(fs.existsSync(path.resolve(folder, data.path)), 'the path leads to the copied labels');
    assert.match(fs.readFileSync(first.file, 'utf8'), /^#/m, "the template's comments are kept");
    // A second one: numbered, and the data already there is not copied again.
    const second = await experimentFromTemplate(path.join(samples, 'experiments', 'skin-care.medstudio.yaml'), samples, folder, ws);
    assert.equal(path.basename(second.file), 'care-2.medstudio.yaml');
    assert.deepEqual(second.copied, []);
    // A path beside the samples (the runs folder a GL-MAE init reads) is taken against the workspace.
    const seg = await experimentFromTemplate(path.join(samples, 'experiments', 'ct-segment.medstudio.yaml'), samples, folder, ws);
    const js = parseDocument(fs.readFileSync(seg.file, 'utf8')).toJS() as { init: string; data: { path: string; labels: string } };
    assert.equal(path.resolve(folder, js.init), path.join(ws, '.medstudio', 'runs', 'ct-glmae'));
    assert.equal(js.data.path, './medstudio-samples/ct-nodules/volumes');
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
