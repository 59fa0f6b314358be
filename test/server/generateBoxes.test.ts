import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GenerateBoxesRequest } from '../../server/src/protocol';
import { parseCoco } from '../../server/src/formats/coco';
import { ROOT, startServer } from './lspClient';

test('Generate Boxes writes saliency boxes for every image as COCO a person can review', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-genboxes-'));
  const exp = path.join(ws, 'care.medstudio.yaml');
  fs.writeFileSync(exp, `method: care\ndata:\n  format: csv\n  path: ${path.join(ROOT, 'samples/skin-lesions/labels.csv')}\n  classes: [nevus, keratosis, melanoma, carcinoma, vascular]\n  rare: [carcinoma, vascular]\n  boxes: { source: saliency }\n`);
  const s = await startServer({ workspace: ws });
  try {
    const r = await s.request(GenerateBoxesRequest, { experimentPath: exp, source: 'saliency' });
    assert.equal(r.file, path.join(ws, 'boxes.saliency.coco.json'));
    const coco = parseCoco(fs.readFileSync(r.file, 'utf8'), r.file);
    assert.equal(coco.annotations.length, r.boxes);
    assert.ok(coco.images.length > 500 && r.boxes >= coco.images.length * 0.9, `${r.boxes} boxes for ${coco.images.length} images`);
    assert.ok(coco.annotations.every((a) => a.source === 'saliency' && typeof a.score === 'number'));
    await assert.rejects(s.request(GenerateBoxesRequest, { experimentPath: exp, source: 'magic' as 'saliency' }), /source must be saliency or segmentation/);
    await assert.rejects(s.request(GenerateBoxesRequest, { experimentPath: path.join(ws, 'missing.medstudio.yaml'), source: 'saliency' }), /cannot read experiment file/);
  } finally {
    await s.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
