import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boxIou,
  clampBox,
  CocoFormatError,
  findImageByPath,
  parseCoco,
  serializeCoco,
  validateCoco,
  type CocoDataset,
} from '../../../server/src/formats/coco';

function sample(): CocoDataset {
  return {
    images: [
      { id: 2, file_name: 'images/b.png', width: 64, height: 32 },
      { id: 1, file_name: 'images/a.png', width: 64, height: 64 },
    ],
    annotations: [
      { id: 7, image_id: 1, category_id: 2, bbox: [10, 12, 20.5, 8], area: 164, iscrowd: 0, source: 'saliency', score: 0.75 },
      { id: 3, image_id: 2, category_id: 1, bbox: [0, 0, 64, 32], area: 2048, iscrowd: 0, source: 'manual' },
    ],
    categories: [
      { id: 2, name: 'melanoma' },
      { id: 1, name: 'nevus' },
    ],
  };
}

function issueCodes(text: string): string[] {
  try {
    parseCoco(text, 'boxes.coco.json');
  } catch (e) {
    assert.ok(e instanceof CocoFormatError);
    assert.match(e.message, /^boxes\.coco\.json: /);
    return e.issues.map((i) => i.code);
  }
  assert.fail('expected a CocoFormatError');
}

test('round trip: parse(serialize(x)) equals x up to id order, and serialisation is byte-stable', () => {
  const text = serializeCoco(sample());
  const back = parseCoco(text);
  assert.deepEqual(back.images.map((i) => i.id), [1, 2]);
  assert.deepEqual(back.annotations.find((a) => a.id === 7), sample().annotations[0]);
  assert.equal(serializeCoco(back), text);
  assert.ok(text.endsWith('\n'));
  assert.match(text, /"bbox": \[10, 12, 20\.5, 8\]/);
});

test('fills area, iscrowd and source (manual) when another tool omitted them', () => {
  const ds = parseCoco(JSON.stringify({ images: [{ id: 1, file_name: 'x.png', width: 10, height: 10 }], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 2, 3] }], categories: [{ id: 1, name: 'a' }] }));
  assert.deepEqual(ds.annotations[0], { id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 2, 3], area: 6, iscrowd: 0, source: 'manual' });
});

const table: { name: string; mutate: (d: { images: unknown[]; annotations: unknown[]; categories?: unknown[] }) => void; code: string; path: RegExp }[] = [
  { name: 'box outside its image', mutate: (d) => ((d.annotations[0] as { bbox: number[] }).bbox = [50, 12, 20, 8]), code: 'outside-image', path: /annotations\[0\]\.bbox/ },
  { name: 'negative box size', mutate: (d) => ((d.annotations[0] as { bbox: number[] }).bbox = [10, 12, -2, 8]), code: 'non-positive-size', path: /bbox/ },
  { name: 'zero box size', mutate: (d) => ((d.annotations[0] as { bbox: number[] }).bbox = [10, 12, 5, 0]), code: 'non-positive-size', path: /bbox/ },
  { name: 'unknown category', mutate: (d) => ((d.annotations[0] as { category_id: number }).category_id = 9), code: 'unknown-category', path: /category_id/ },
  { name: 'unknown image id', mutate: (d) => ((d.annotations[1] as { image_id: number }).image_id = 42), code: 'unknown-image', path: /annotations\[1\]\.image_id/ },
  { name: 'duplicate annotation id', mutate: (d) => ((d.annotations[1] as { id: number }).id = 3), code: 'duplicate-id', path: /annotations\[1\]\.id/ },
  { name: 'duplicate image id', mutate: (d) => d.images.push({ ...(d.images[0] as object), file_name: 'images/c.png' }), code: 'duplicate-id', path: /images\[2\]\.id/ },
  { name: 'bad source', mutate: (d) => ((d.annotations[0] as { source: string }).source = 'oracle'), code: 'bad-source', path: /source/ },
  { name: 'score above 1', mutate: (d) => ((d.annotations[0] as { score: number }).score = 3), code: 'bad-score', path: /score/ },
  { name: 'bbox of 3 numbers', mutate: (d) => ((d.annotations[0] as { bbox: number[] }).bbox = [1, 2, 3]), code: 'schema', path: /bbox/ },
  { name: 'missing categories', mutate: (d) => delete d.categories, code: 'schema', path: /categories/ },
];
for (const row of table) {
  test(`rejects ${row.name} with code ${row.code}`, () => {
    const doc = JSON.parse(serializeCoco(sample())) as { images: unknown[]; annotations: unknown[]; categories?: unknown[] };
    row.mutate(doc);
    const { issues } = validateCoco(doc);
    assert.deepEqual(issues.map((i) => i.code), [row.code]);
    assert.match(issues[0]!.path, row.path);
    assert.deepEqual(issueCodes(JSON.stringify(doc)), [row.code]);
  });
}

test('malformed JSON reports line and column', () => {
  try {
    parseCoco('{\n  "images": [],\n  "annotations": [,]\n}', 'bad.json');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof CocoFormatError);
    assert.equal(e.issues[0]!.line, 3);
    assert.equal(e.issues[0]!.column, 19);
    assert.match(e.message, /bad\.json: malformed JSON at line 3, column 19/);
  }
  assert.deepEqual(issueCodes('{"images": ['), ['json']);
});

test('a box touching the border is inside; clampBox clips and drops empty boxes', () => {
  assert.deepEqual(validateCoco({ images: [{ id: 1, file_name: 'a', width: 10, height: 10 }], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10] }], categories: [{ id: 1, name: 'x' }] }).issues, []);
  assert.deepEqual(clampBox([-2, 3, 5, 20], 10, 10), [0, 3, 3, 7]);
  assert.equal(clampBox([12, 3, 5, 5], 10, 10), null);
});

test('IoU golden values and image lookup by trailing path', () => {
  assert.equal(boxIou([0, 0, 2, 2], [1, 1, 2, 2]), 1 / 7);
  assert.equal(boxIou([0, 0, 2, 2], [5, 5, 1, 1]), 0);
  const ds = sample();
  assert.equal(findImageByPath(ds, '/data/skin/images/a.png')?.id, 1);
  assert.equal(findImageByPath(ds, 'images/b.png')?.id, 2);
  assert.equal(findImageByPath(ds, 'c.png'), undefined);
});

test('serialisation leaves bracketed numbers inside strings alone', () => {
  const ds = sample();
  ds.images[0]!.file_name = 'scan[1,2].png';
  const text = serializeCoco(ds);
  assert.match(text, /"file_name": "scan\[1,2\]\.png"/);
  assert.equal(parseCoco(text).images.find((i) => i.id === 2)!.file_name, 'scan[1,2].png');
});

test('a detector box a person accepted keeps source model, score and accepted: true through parse and serialise; a non-boolean accepted is refused', async () => {
  const { parseCoco, serializeCoco, isPendingSuggestion, validateCoco } = await import('../../../server/src/formats/coco');
  const doc = { images: [{ id: 1, file_name: 'a.png', width: 10, height: 10 }], categories: [{ id: 1, name: 'lesion' }], annotations: [
    { id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 2, 2], source: 'model', score: 0.7, accepted: true },
    { id: 2, image_id: 1, category_id: 1, bbox: [5, 5, 2, 2], source: 'model', score: 0.4 },
  ] };
  const ds = parseCoco(JSON.stringify(doc));
  assert.equal(ds.annotations[0]!.accepted, true);
  assert.deepEqual(ds.annotations.map(isPendingSuggestion), [false, true]);
  assert.deepEqual(parseCoco(serializeCoco(ds)), ds);
  const bad = validateCoco({ ...doc, annotations: [{ ...doc.annotations[0], accepted: 'yes' }] });
  assert.match(bad.issues.map((i) => i.message).join(), /accepted must be true or false/);
});
