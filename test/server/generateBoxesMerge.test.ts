/**
 * Running Generate Boxes again over a box file a person has reviewed in the annotator: nothing
 * they decided is lost, and the answer says the boxes were merged (or written beside a file that
 * cannot be read), over the real server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnnotatorModel } from '../../extension/src/editors/annotator/model';
import { boxIou, parseCoco, rejectedBoxes, type CocoBBox } from '../../server/src/formats/coco';
import { GenerateBoxesRequest } from '../../server/src/protocol';
import { makeLesionFixture } from '../unit/care/fixture';
import { startServer } from './lspClient';

test('Generate Boxes again merges into a reviewed file (accepted, rejected, hand-drawn boxes and review kept) and says so; an unreadable file is left alone', async () => {
  const fx = makeLesionFixture();
  const exp = path.join(fx.root, 'boxes.medstudio.yaml');
  fs.writeFileSync(exp, 'method: supervised\ndata: { format: csv, path: data/labels.csv }\nmodel: { inputSize: 16 }\n');
  const out = path.join(fx.root, 'boxes.saliency.coco.json');
  const s = await startServer({ workspace: fx.root });
  try {
    const first = await s.request(GenerateBoxesRequest, { experimentPath: exp, source: 'saliency' });
    assert.equal(first.file, out);
    assert.equal(first.mode, 'new');

    // A person reviews in the annotator (its own document model) and saves.
    const m = AnnotatorModel.fromText(fs.readFileSync(out, 'utf8'), out);
    const ds = m.dataset();
    const withBox = ds.images.filter((i) => ds.annotations.some((a) => a.image_id === i.id)).map((i) => i.id);
    const [accepted, rejected, drawn, reviewed, untouched] = withBox;
    const boxOn = (img: number | undefined) => ds.annotations.find((a) => a.image_id === img)!;
    const acceptedBox = boxOn(accepted);
    const rejectedBox = boxOn(rejected);
    const reviewedBox = boxOn(reviewed);
    const drawnBox: CocoBBox = [0, 0, 3, 3];
    for (const intent of [
      { kind: 'acceptSuggestions', ids: [acceptedBox.id] },
      { kind: 'rejectSuggestions', ids: [rejectedBox.id] },
      { kind: 'addBox', imageId: drawn!, bbox: drawnBox, categoryId: 1 },
      { kind: 'review', imageId: reviewed!, entry: { status: 'reviewed' } },
    ] as const) {
      assert.ok(m.apply(structuredClone(intent) as Parameters<AnnotatorModel['apply']>[0]).result.ok, intent.kind);
    }
    fs.writeFileSync(out, m.serialize());

    const again = await s.request(GenerateBoxesRequest, { experimentPath: exp, source: 'saliency' });
    assert.equal(again.file, out);
    assert.equal(again.mode, 'merged');
    assert.match(again.message, /merged into .*boxes\.saliency\.coco\.json: kept 2 accepted or hand-drawn box\(es\), 1 reviewed image\(s\)/);
    assert.match(again.message, /1 rejected before/);
    const after = parseCoco(fs.readFileSync(out, 'utf8'), out);
    const on = (img: number | undefined) => after.annotations.filter((a) => a.image_id === img);
    assert.deepEqual(on(accepted).map((a) => [a.source, a.bbox]), [['manual', acceptedBox.bbox]], 'the accepted box is kept, and not proposed twice');
    assert.ok(!on(rejected).some((a) => boxIou(a.bbox, rejectedBox.bbox) >= 0.5), 'the rejected box is not proposed again');
    assert.deepEqual(rejectedBoxes(after).get(rejectedBox.id)?.bbox, rejectedBox.bbox, 'the rejection is still recorded');
    assert.ok(on(drawn).some((a) => a.source === 'manual' && a.bbox.join() === drawnBox.join()), 'the hand-drawn box is kept');
    assert.deepEqual(on(reviewed).map((a) => a.bbox), [reviewedBox.bbox], 'a reviewed image keeps its boxes as they were');
    assert.deepEqual((after.info?.medstudio as { review?: unknown }).review, { [String(reviewed)]: { status: 'reviewed' } });
    assert.equal(on(untouched).length, 1, 'an unreviewed image gets the new suggestion');
    assert.equal(after.images.length, ds.images.length);

    // A box file that does not parse is never overwritten: the new boxes go beside it.
    fs.writeFileSync(out, '{"images": [');
    const beside = await s.request(GenerateBoxesRequest, { experimentPath: exp, source: 'saliency' });
    assert.equal(beside.mode, 'beside');
    assert.notEqual(beside.file, out);
    assert.equal(path.dirname(beside.file), fx.root);
    assert.match(path.basename(beside.file), /^boxes\.saliency\.\d{8}T\d{6}\.coco\.json$/);
    assert.match(beside.message, /could not be read .* left as it is/);
    assert.equal(fs.readFileSync(out, 'utf8'), '{"images": [');
    assert.equal(parseCoco(fs.readFileSync(beside.file, 'utf8')).annotations.length, beside.boxes);
  } finally {
    await s.stop();
    fs.rmSync(fx.root, { recursive: true, force: true });
  }
});
