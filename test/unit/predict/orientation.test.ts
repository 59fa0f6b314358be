/**
 * The canonical voxel frame: every voxel keeps its place in the world when a volume is put in
 * canonical axis order, and the inverse gives the input's own voxels back exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { voxelToWorldMatrix, type Mat3 } from '../../../server/src/formats/geometry';
import { canonicalAxes, canonicalDims, canonicalGeometry, inverseAxes, reorient, type Dims3 } from '../../../server/src/data/volumes/orientation';

const world = (m: number[], i: number, j: number, k: number) => [0, 1, 2].map((r) => m[r * 4]! * i + m[r * 4 + 1]! * j + m[r * 4 + 2]! * k + m[r * 4 + 3]!);

test('a sagittal, flipped scan goes to canonical order with every voxel at the same world position, and back exactly', () => {
  // Voxel axes: i along -z, j along +x, k along -y (a plausible sagittal acquisition), slightly oblique.
  const c = Math.cos(0.1);
  const s = Math.sin(0.1);
  const direction: Mat3 = [0, c, s, 0, -s, -c, -1, 0, 0].map((v) => (Object.is(v, -0) ? 0 : v)) as Mat3;
  const dims: Dims3 = [5, 4, 3];
  const g = { origin: [10, -20, 30] as [number, number, number], spacing: [2, 0.5, 1.5] as [number, number, number], direction };
  const axes = canonicalAxes(direction);
  assert.deepEqual(axes.from, [1, 2, 0]);
  const data = Float32Array.from({ length: 60 }, (_, n) => n);
  const out = reorient(data, dims, axes);
  const cd = canonicalDims(dims, axes);
  assert.deepEqual(cd, [4, 3, 5]);
  const cg = canonicalGeometry(g, dims, axes);
  const before = voxelToWorldMatrix(g);
  const after = voxelToWorldMatrix(cg);
  // Each canonical voxel holds the value of the source voxel at the same world point.
  for (let k = 0; k < cd[2]; k++)
    for (let j = 0; j < cd[1]; j++)
      for (let i = 0; i < cd[0]; i++) {
        const v = out[(k * cd[1] + j) * cd[0] + i]!;
        const si = v % 5;
        const sj = Math.floor(v / 5) % 4;
        const sk = Math.floor(v / 20);
        const a = world(after, i, j, k);
        const b = world(before, si, sj, sk);
        a.forEach((x, r) => assert.ok(Math.abs(x - b[r]!) < 1e-9, `voxel ${i},${j},${k}: ${a} vs ${b}`));
      }
  // Canonical axes point along +x, +y, +z (dominant cosines positive).
  for (let a = 0; a < 3; a++) assert.ok(cg.direction[a * 3 + a]! > 0.9, `axis ${a}: ${cg.direction}`);
  assert.deepEqual(Array.from(reorient(out, cd, inverseAxes(axes))), Array.from(data));
});

test('an axis-aligned scan in canonical order is left as it is', () => {
  const axes = canonicalAxes([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(axes, { from: [0, 1, 2], flip: [false, false, false] });
});
