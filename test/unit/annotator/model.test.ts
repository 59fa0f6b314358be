import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnnotatorModel, patchOf, type AppliedEdit } from '../../../extension/src/editors/annotator/model';
import type { AnnotatorIntent } from '../../../server/src/protocol';

const FIX = path.join(__dirname, 'fixtures');
const input = () => fs.readFileSync(path.join(FIX, 'two-images.coco.json'), 'utf8');

/** The edits of a short session: draw, move, clip, relabel, accept, draw+delete, review. */
const SESSION: AnnotatorIntent[] = [
  { kind: 'addBox', imageId: 1, bbox: [20.123, 10, 15, 12], categoryId: 2 },
  { kind: 'setBox', id: 1, bbox: [6, 5, 10, 10] },
  { kind: 'setBox', id: 3, bbox: [20.12, 10, 60, 12] },
  { kind: 'setCategory', ids: [1], categoryId: 2 },
  { kind: 'acceptSuggestions', ids: [2] },
  { kind: 'addBox', imageId: 2, bbox: [0, 0, 5, 5], categoryId: 1 },
  { kind: 'deleteBoxes', ids: [4] },
  { kind: 'review', imageId: 2, entry: { status: 'relabelled', label: 'melanoma' } },
];

function play(m: AnnotatorModel): AppliedEdit[] {
  return SESSION.map((intent) => {
    const { edit, result } = m.apply(intent);
    assert.ok(result.ok, `${intent.kind}: ${result.message ?? ''}`);
    assert.ok(edit, `${intent.kind} changed nothing`);
    return edit;
  });
}

test('a session of edits saves exactly the expected COCO file', () => {
  const m = AnnotatorModel.fromText(input(), 'two-images.coco.json');
  play(m);
  assert.equal(m.serialize(), fs.readFileSync(path.join(FIX, 'two-images.after.coco.json'), 'utf8'));
});

test('undoing every edit gives back the opened document, redoing gives the edited one', () => {
  const m = AnnotatorModel.fromText(input());
  const opened = m.serialize();
  const edits = play(m);
  const edited = m.serialize();
  for (const e of [...edits].reverse()) m.undo(e);
  assert.equal(m.serialize(), opened);
  for (const e of edits) m.redo(e);
  assert.equal(m.serialize(), edited);
});

test('the saved file is standard COCO that reopens to the same bytes', () => {
  const m = AnnotatorModel.fromText(input());
  play(m);
  const text = m.serialize();
  const json = JSON.parse(text) as { annotations: { bbox: number[]; source: string; score?: number }[] };
  assert.deepEqual(json.annotations.map((a) => a.bbox.length), [4, 4, 4]);
  assert.equal(AnnotatorModel.fromText(text).serialize(), text);
});

test('a new box gets the next free id and a box reaching outside the image is clipped', () => {
  const m = AnnotatorModel.fromText(input());
  const r1 = m.apply({ kind: 'addBox', imageId: 1, bbox: [50, 40, 10, -20], categoryId: 1 });
  assert.deepEqual(r1.result.ids, [3]);
  assert.equal(r1.result.clamped, undefined, 'a box drawn upwards is normalised, not clipped');
  assert.deepEqual(m.annotation(3)?.bbox, [50, 20, 10, 20]);
  const r2 = m.apply({ kind: 'addBox', imageId: 1, bbox: [-5, 40, 20, 20], categoryId: 1 });
  assert.equal(r2.result.clamped, true);
  assert.match(r2.result.message ?? '', /clipped/);
  assert.deepEqual(m.annotation(4)?.bbox, [0, 40, 15, 8]);
});

test('a box wholly outside the image, or an unknown class, is refused and changes nothing', () => {
  const m = AnnotatorModel.fromText(input());
  const before = m.serialize();
  const out = m.apply({ kind: 'addBox', imageId: 1, bbox: [100, 100, 5, 5], categoryId: 1 });
  assert.equal(out.result.ok, false);
  assert.match(out.result.message ?? '', /outside image images\/a\.png \(64x48\)/);
  assert.equal(out.edit, null);
  const cat = m.apply({ kind: 'setCategory', ids: [1], categoryId: 9 });
  assert.match(cat.result.message ?? '', /category 9 does not exist/);
  assert.equal(m.apply({ kind: 'deleteBoxes', ids: [42] }).result.ok, false);
  assert.equal(m.apply({ kind: 'rejectSuggestions', ids: [1] }).result.message, 'box 1 is not a suggestion');
  assert.equal(m.serialize(), before);
});

test('suggestions are added with source and score, then accepted as manual or rejected', () => {
  const m = AnnotatorModel.fromText(input());
  const add = m.apply({
    kind: 'addSuggestions',
    imageId: 1,
    categoryId: 2,
    boxes: [
      { bbox: [1, 1, 5, 5], score: 0.9, source: 'segmentation' },
      { bbox: [500, 500, 5, 5], score: 0.5, source: 'saliency' },
      { bbox: [30, 30, 5, 5], score: 0.4, source: 'saliency' },
    ],
  });
  assert.deepEqual(add.result.ids, [3, 4], 'the box off the image is dropped');
  assert.deepEqual(m.annotation(3), { id: 3, image_id: 1, category_id: 2, bbox: [1, 1, 5, 5], area: 25, iscrowd: 0, source: 'segmentation', score: 0.9 });
  m.apply({ kind: 'acceptSuggestions', ids: [3] });
  assert.deepEqual(m.annotation(3), { id: 3, image_id: 1, category_id: 2, bbox: [1, 1, 5, 5], area: 25, iscrowd: 0, source: 'manual' });
  m.apply({ kind: 'rejectSuggestions', ids: [4] });
  assert.equal(m.annotation(4), undefined);
  const none = m.apply({ kind: 'addSuggestions', imageId: 1, categoryId: 1, boxes: [] });
  assert.match(none.result.message ?? '', /no boxes/);
});

test("accepting a detector's box keeps source model and its score, marks it accepted, survives save and undo, and it can no longer be rejected as a suggestion", () => {
  const m = AnnotatorModel.fromText(input());
  const add = m.apply({ kind: 'addSuggestions', imageId: 1, categoryId: 1, boxes: [{ bbox: [2, 2, 6, 6], score: 0.87, source: 'model' }] });
  const id = add.result.ids![0]!;
  const accept = m.apply({ kind: 'acceptSuggestions', ids: [id] });
  assert.deepEqual(m.annotation(id), { id, image_id: 1, category_id: 1, bbox: [2, 2, 6, 6], area: 36, iscrowd: 0, source: 'model', score: 0.87, accepted: true });
  const saved = JSON.parse(m.serialize()) as { annotations: Record<string, unknown>[] };
  assert.deepEqual(saved.annotations.find((a) => a.id === id), { id, image_id: 1, category_id: 1, bbox: [2, 2, 6, 6], area: 36, iscrowd: 0, source: 'model', score: 0.87, accepted: true });
  assert.deepEqual(AnnotatorModel.fromText(m.serialize()).annotation(id), m.annotation(id), 'accepted survives a reopen');
  assert.equal(m.apply({ kind: 'rejectSuggestions', ids: [id] }).result.ok, false, 'an accepted box is not a suggestion any more');
  m.undo(accept.edit!);
  assert.equal(m.annotation(id)!.accepted, undefined, 'undo makes it a suggestion again');
});

test('review decisions round-trip through info.medstudio.review and can be cleared', () => {
  const m = AnnotatorModel.fromText(input());
  m.apply({ kind: 'review', imageId: 1, entry: { status: 'excluded' } });
  const reopened = AnnotatorModel.fromText(m.serialize());
  assert.deepEqual(reopened.reviewRecord(), { '1': { status: 'excluded' } });
  const clear = reopened.apply({ kind: 'review', imageId: 1, entry: null });
  assert.ok(clear.edit);
  assert.equal(reopened.serialize(), AnnotatorModel.fromText(input()).serialize(), 'no empty info left behind');
  assert.equal(m.apply({ kind: 'review', imageId: 1, entry: { status: 'relabelled' } }).result.ok, false);
});

test("an edit's patch, applied to the webview's copy, gives the same boxes as the document", () => {
  const m = AnnotatorModel.fromText(input());
  const copy = m.dataset();
  const review: Record<string, unknown> = {};
  const applyPatch = (p: ReturnType<typeof patchOf>) => {
    const gone = new Set([...p.remove, ...p.upsert.map((a) => a.id)]);
    copy.annotations = copy.annotations.filter((a) => !gone.has(a.id)).concat(p.upsert);
    for (const [k, v] of Object.entries(p.review)) {
      if (v) review[k] = v;
      else delete review[k];
    }
  };
  const edits = play(m);
  for (const e of edits) applyPatch(patchOf(e.redo));
  const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
  assert.deepEqual([...copy.annotations].sort(byId), [...m.dataset().annotations].sort(byId));
  assert.deepEqual(review, m.reviewRecord());
  for (const e of [...edits].reverse()) {
    m.undo(e);
    applyPatch(patchOf(e.undo));
  }
  assert.deepEqual([...copy.annotations].sort(byId), [...m.dataset().annotations].sort(byId));
  assert.deepEqual(review, {});
});
