import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSuspects } from '../../../extension/src/editors/annotator/suspects';
import type { CocoDataset } from '../../../server/src/formats/coco';

const ds: CocoDataset = {
  images: [
    { id: 1, file_name: 'nevus/a.png', width: 8, height: 8 },
    { id: 2, file_name: 'melanoma/b.png', width: 8, height: 8 },
  ],
  annotations: [],
  categories: [{ id: 1, name: 'nevus' }],
};

test("a cleaning report's suspects become a review queue matched to the file's images", () => {
  const text = JSON.stringify({
    suspects: [
      { image: 'data/derm/nevus/a.png', givenLabel: 'nevus', suggestedLabel: 'melanoma', score: 0.93 },
      { imageId: 2, label: 'melanoma', predicted: 'nevus', score: 0.5 },
      { path: 'elsewhere/c.png', given: 'nevus' },
    ],
  });
  assert.deepEqual(parseSuspects(text, 'suspects.json', ds), [
    { image: 'data/derm/nevus/a.png', givenLabel: 'nevus', imageId: 1, suggestedLabel: 'melanoma', score: 0.93 },
    { image: 'melanoma/b.png', givenLabel: 'melanoma', imageId: 2, suggestedLabel: 'nevus', score: 0.5 },
    { image: 'elsewhere/c.png', givenLabel: 'nevus' },
  ]);
});

test("the long-tail toolkit's report matches by path; an id that names another file is not trusted", () => {
  const report = {
    round: 1,
    scoring: 'loss',
    classes: ['nevus', 'melanoma'],
    flagged: 2,
    of: 10,
    suspects: [
      { image: '/ws/data/derm/melanoma/b.png', imageId: 2, id: 's2', givenLabel: 'melanoma', suggestedLabel: 'nevus', score: 2.3 },
      { image: '/ws/data/other/x.png', imageId: 1, id: 's9', givenLabel: 'nevus', suggestedLabel: 'melanoma', score: 1.1 },
    ],
  };
  const q = parseSuspects(JSON.stringify(report), 'round-1.suspects.json', ds);
  assert.deepEqual(q.map((i) => i.imageId), [2, undefined]);
});

test('a report that is not a suspects list fails naming the file and the item', () => {
  assert.throws(() => parseSuspects('{"x": 1}', 'r.json', ds), /r\.json: expected a 'suspects' array/);
  assert.throws(() => parseSuspects('[{"image": "a.png"}]', 'r.json', ds), /r\.json: suspects\[0\] has no givenLabel/);
  assert.throws(() => parseSuspects('[{', 'r.json', ds), /r\.json: malformed JSON at line 1/);
});
