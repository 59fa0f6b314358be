import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxFromPoints, dragBox, fitView, hitTest, keepInside, toCanvas, toImage, zoomAt } from '../../../webviews/src/annotator/geometry';

test('fitting shows the whole image centred, and image <-> canvas coordinates invert', () => {
  const v = fitView(64, 48, 600, 400, 16);
  assert.equal(v.scale, (400 - 32) / 48);
  const [x, y] = toImage(v, ...toCanvas(v, 10, 20));
  assert.ok(Math.abs(x - 10) < 1e-9 && Math.abs(y - 20) < 1e-9);
  assert.equal(v.ox, (600 - 64 * v.scale) / 2);
});

test('zooming keeps the image point under the cursor in place', () => {
  const v = { scale: 4, ox: 10, oy: 20 };
  const z = zoomAt(v, 2, 110, 60);
  assert.deepEqual(toImage(z, 110, 60), toImage(v, 110, 60));
  assert.equal(z.scale, 8);
  assert.equal(zoomAt(v, 1e9, 0, 0).scale, 64, 'zoom is capped');
});

test('the handles of the selected box are hit before the boxes, and the smallest box wins', () => {
  const v = { scale: 10, ox: 0, oy: 0 };
  const boxes = [
    { id: 1, bbox: [0, 0, 50, 50] as [number, number, number, number] },
    { id: 2, bbox: [10, 10, 5, 5] as [number, number, number, number] },
  ];
  assert.deepEqual(hitTest(v, boxes, null, 120, 120), { id: 2, part: 'inside' });
  assert.deepEqual(hitTest(v, boxes, null, 300, 300), { id: 1, part: 'inside' });
  assert.deepEqual(hitTest(v, boxes, 2, 150, 150), { id: 2, part: 'se' });
  assert.deepEqual(hitTest(v, boxes, 2, 125, 100), { id: 2, part: 'n' });
  assert.equal(hitTest(v, boxes, null, 600, 600), null);
});

test('dragging a handle resizes, dragging the inside moves, crossing edges flips the box', () => {
  assert.deepEqual(dragBox([10, 10, 20, 20], 'se', 5, -5), [10, 10, 25, 15]);
  assert.deepEqual(dragBox([10, 10, 20, 20], 'w', -4, 99), [6, 10, 24, 20]);
  assert.deepEqual(dragBox([10, 10, 20, 20], 'inside', 3, 4), [13, 14, 20, 20]);
  assert.deepEqual(dragBox([10, 10, 20, 20], 'e', -30, 0), [0, 10, 10, 20]);
  assert.deepEqual(boxFromPoints([30, 40], [10, 5]), [10, 5, 20, 35]);
});

test('a moved box stays whole inside the image instead of shrinking', () => {
  assert.deepEqual(keepInside([60, -5, 10, 10], 64, 48), [54, 0, 10, 10]);
});
