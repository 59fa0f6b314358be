import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignAxes, directionLetter, orientationCode, viewGeometry, viewToVoxel, voxelToView, voxelToWorld, type Vec3 } from '../../../webviews/src/common/render/orientation';
import { voxelToWorld as geometryVoxelToWorld } from '../../../server/src/formats/geometry';
import type { VolumeHeader } from '../../../server/src/protocol/viewer';

type Geo = Pick<VolumeHeader, 'dims' | 'spacing' | 'origin' | 'direction'>;
const LPS: VolumeHeader['direction'] = [1, 0, 0, 0, 1, 0, 0, 0, 1];
// NIfTI's usual RAS+ voxel axes, seen in LPS: i -> R (-x), j -> A (-y), k -> S.
const RAS: VolumeHeader['direction'] = [-1, 0, 0, 0, -1, 0, 0, 0, 1];
// Permuted: i runs inferior->superior, j right->left, k posterior->anterior.
const PERMUTED: VolumeHeader['direction'] = [0, 1, 0, 0, 0, -1, 1, 0, 0];

const geo = (direction: VolumeHeader['direction'], dims: [number, number, number] = [10, 20, 30]): Geo => ({ dims, spacing: [1, 2, 3], origin: [5, -5, 10], direction });

/** Screen-right of a view, as a world direction: the letter at the right edge must name it. */
function rightWorld(g: Geo, view: 'axial' | 'coronal' | 'sagittal'): Vec3 {
  const vg = viewGeometry(g, view);
  const a = voxelToWorld(g, viewToVoxel(vg, 0, 0, 0));
  const b = voxelToWorld(g, viewToVoxel(vg, 1, 0, 0));
  return [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
}
function downWorld(g: Geo, view: 'axial' | 'coronal' | 'sagittal'): Vec3 {
  const vg = viewGeometry(g, view);
  const a = voxelToWorld(g, viewToVoxel(vg, 0, 0, 0));
  const b = voxelToWorld(g, viewToVoxel(vg, 0, 1, 0));
  return [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
}

test('letters name the anatomical direction of a world vector (LPS)', () => {
  assert.equal(directionLetter([1, 0, 0]), 'L');
  assert.equal(directionLetter([-1, 0.2, 0]), 'R');
  assert.equal(directionLetter([0, -1, 0]), 'A');
  assert.equal(directionLetter([0, 0.9, 0.1]), 'P');
  assert.equal(directionLetter([0, 0.1, 1]), 'S');
  assert.equal(directionLetter([0, 0, -1]), 'I');
  assert.equal(orientationCode(LPS), 'LPS');
  assert.equal(orientationCode(RAS), 'RAS');
  assert.equal(orientationCode(PERMUTED), 'SLA');
});

for (const [name, dir] of [['LPS', LPS], ['RAS', RAS], ['permuted SLA', PERMUTED]] as const) {
  test(`views of a ${name} volume are shown radiologically: R|L, A over P, S over I`, () => {
    const g = geo(dir);
    // Moving right on screen goes towards the patient's left (axial, coronal) or posterior (sagittal).
    assert.equal(directionLetter(rightWorld(g, 'axial')), 'L');
    assert.equal(directionLetter(downWorld(g, 'axial')), 'P');
    assert.equal(directionLetter(rightWorld(g, 'coronal')), 'L');
    assert.equal(directionLetter(downWorld(g, 'coronal')), 'I');
    assert.equal(directionLetter(rightWorld(g, 'sagittal')), 'P');
    assert.equal(directionLetter(downWorld(g, 'sagittal')), 'I');
    assert.deepEqual(viewGeometry(g, 'axial').labels, { left: 'R', right: 'L', top: 'A', bottom: 'P' });
    assert.deepEqual(viewGeometry(g, 'coronal').labels, { left: 'R', right: 'L', top: 'S', bottom: 'I' });
    assert.deepEqual(viewGeometry(g, 'sagittal').labels, { left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });
}

test('the permuted volume slices axially along its i axis, with j across the screen', () => {
  const vg = viewGeometry(geo(PERMUTED), 'axial');
  assert.equal(vg.normal, 0); // i runs along S
  assert.equal(vg.right.axis, 1);
  assert.equal(vg.down.axis, 2);
  assert.deepEqual([vg.width, vg.height, vg.depth], [20, 30, 10]);
  assert.deepEqual([vg.pixelWidth, vg.pixelHeight], [2, 3]);
  // k runs P->A, so screen-down (towards P) walks k backwards.
  assert.equal(vg.down.flip, true);
});

test('an oblique direction snaps each voxel axis to its nearest anatomical axis, one to one', () => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const a = assignAxes([c, -s, 0, s, c, 0, 0, 0, 1]);
  assert.deepEqual(a, [{ worldAxis: 0, sign: 1 }, { worldAxis: 1, sign: 1 }, { worldAxis: 2, sign: 1 }]);
  // 45 degrees: still a permutation (no two voxel axes on one world axis).
  const h = Math.SQRT1_2;
  const b = assignAxes([h, -h, 0, h, h, 0, 0, 0, 1]);
  assert.deepEqual(new Set(b.map((x) => x.worldAxis)).size, 3);
});

test('view pixel <-> voxel round trips in every view and orientation', () => {
  for (const dir of [LPS, RAS, PERMUTED]) {
    const g = geo(dir);
    for (const view of ['axial', 'coronal', 'sagittal'] as const) {
      const vg = viewGeometry(g, view);
      const ijk: Vec3 = [3, 7, 11];
      const p = voxelToView(vg, ijk);
      assert.deepEqual(viewToVoxel(vg, p.u, p.v, p.slice), ijk, `${view}`);
    }
  }
});

test('voxel -> world matches the shared geometry module (ITK convention)', () => {
  const g = geo(PERMUTED);
  const idx: Vec3 = [1.5, 2, 3];
  const a = voxelToWorld(g, idx);
  const b = geometryVoxelToWorld({ origin: g.origin, spacing: g.spacing, direction: g.direction }, idx);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-9));
});
