import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewGeometry } from '../../../webviews/src/common/render/orientation';
import { boxFromDrawing, projectBox, sliceHits, snapRange, withRect } from '../../../webviews/src/annotator/volumeBoxes';

const H = { dims: [24, 20, 16] as [number, number, number], spacing: [1, 1, 2] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };

test('edges snap to whole voxels inside the volume', () => {
  assert.deepEqual(snapRange(4.51, 12.49, 24), [4.5, 12.5]);
  assert.deepEqual(snapRange(12.49, 4.51, 24), [4.5, 12.5]);
  assert.deepEqual(snapRange(-3, 30, 24), [-0.5, 23.5]);
});

test('a box drawn on an axial slice covers the touched voxels and two slices each way', () => {
  const g = viewGeometry(H, 'axial');
  const box = boxFromDrawing(g, { u0: 5, v0: 4, u1: 12, v1: 10 }, 8);
  // Which voxel axis a screen axis shows (and its direction) comes from the geometry.
  const r = projectBox(g, box);
  assert.equal(r.u1 - r.u0, 8);
  assert.equal(r.v1 - r.v0, 7);
  assert.deepEqual([box.min[2], box.max[2]], [5.5, 10.5]);
  assert.ok(sliceHits(g, box, 10) && !sliceHits(g, box, 11));
});

test('a rectangle dragged in the coronal view changes the depth and keeps the rest', () => {
  const box = { min: [4.5, 3.5, 5.5] as [number, number, number], max: [12.5, 10.5, 10.5] as [number, number, number] };
  const g = viewGeometry(H, 'coronal');
  const r = projectBox(g, box);
  const taller = withRect(g, box, { ...r, v0: r.v0 - 2 });
  assert.deepEqual(taller.min, box.min);
  assert.deepEqual(taller.max, [12.5, 10.5, 12.5], 'up on screen is superior: higher k');
});
