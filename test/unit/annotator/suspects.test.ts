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

test('a report that is not a suspects list fails naming the file and the item', () => {
  assert.throws(() => parseSuspects('{"x": 1}', 'r.json', ds), /r\.json: expected a 'suspects' array/);
  assert.throws(() => parseSuspects('[{"image": "a.png"}]', 'r.json', ds), /r\.json: suspects\[0\] has no givenLabel/);
  assert.throws(() => parseSuspects('[{', 'r.json', ds), /r\.json: malformed JSON at line 1/);
});
