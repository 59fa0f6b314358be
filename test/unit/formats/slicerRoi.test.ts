import { test } from 'node:test';
import assert from 'node:assert/strict';
import { worldToVoxel, voxelToWorld, worldToVoxelMatrix, voxelToWorldMatrix, type ImageGeometry, type Mat3 } from '../../../server/src/formats/geometry';
import {
  parseSlicerRoi,
  roiInSystem,
  roiToVoxelBox,
  serializeSlicerRoi,
  SlicerRoiFormatError,
  voxelBoxToRoi,
  voxelRange,
  type SlicerRoi,
} from '../../../server/src/formats/slicerRoi';

const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < eps, `[${a.join(', ')}] != [${b.join(', ')}]`));
};

// An oblique image: axes rotated 90 degrees about z with x flipped, anisotropic spacing.
const oblique: ImageGeometry = { origin: [10, -20, 5], spacing: [0.5, 2, 3], direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] };

test('geometry: golden voxel -> world, and world -> voxel inverts it', () => {
  close(voxelToWorld(oblique, [2, 3, 1]), [10 - 6, -20 + 1, 8]);
  close(worldToVoxel(oblique, [4, -19, 8]), [2, 3, 1]);
  const a = voxelToWorldMatrix(oblique);
  const b = worldToVoxelMatrix(oblique);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
      assert.ok(Math.abs(s - (r === c ? 1 : 0)) < 1e-12);
    }
  }
});

test('a voxel box survives box -> ROI -> file -> ROI -> box on an oblique image', () => {
  const box = { min: [3.5, 4.5, 1.5] as [number, number, number], max: [7.5, 6.5, 2.5] as [number, number, number] };
  const roi = voxelBoxToRoi(box, oblique, { label: 'nodule-1', source: 'segmentation', score: 0.9, category: 'nodule' });
  close(roi.size, [2, 4, 3]);
  const [back] = parseSlicerRoi(serializeSlicerRoi([roi]));
  assert.ok(back);
  assert.equal(back.source, 'segmentation');
  assert.equal(back.score, 0.9);
  assert.equal(back.category, 'nodule');
  assert.equal(back.label, 'nodule-1');
  const vb = roiToVoxelBox(back, oblique);
  close(vb.min, box.min);
  close(vb.max, box.max);
  assert.deepEqual(voxelRange(vb, [16, 16, 16]), { lo: [4, 5, 2], hi: [7, 6, 2] });
});

test('RAS and LPS descriptions of one box give the same voxels', () => {
  const lps: SlicerRoi = { coordinateSystem: 'LPS', center: [12, -14, 9.5], size: [4, 2, 6], orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1], label: 'a', source: 'manual' };
  const ras = roiInSystem(lps, 'RAS');
  close(ras.center, [-12, 14, 9.5]);
  const fromFile = parseSlicerRoi(serializeSlicerRoi([ras]))[0]!;
  assert.equal(fromFile.coordinateSystem, 'RAS');
  const a = roiToVoxelBox(lps, oblique);
  const b = roiToVoxelBox(fromFile, oblique);
  close(a.min, b.min);
  close(a.max, b.max);
});

test('reads a file as 3D Slicer writes it (RAS ROI, default orientation, no medstudio member)', () => {
  const text = JSON.stringify({
    '@schema': 'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#',
    markups: [{ type: 'ROI', coordinateSystem: 'RAS', coordinateUnits: 'mm', roiType: 'Box', center: [1, 2, 3], orientation: [-1, -0, -0, -0, -1, -0, 0, 0, 1] as Mat3, size: [10, 20, 30], controlPoints: [{ id: '1', label: 'R', position: [1, 2, 3] }] }],
  });
  const [roi] = parseSlicerRoi(text);
  assert.deepEqual(roi?.source, 'manual');
  assert.equal(roi?.label, 'R');
  const id: ImageGeometry = { origin: [0, 0, 0], spacing: [1, 1, 1], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const vb = roiToVoxelBox(roi!, id);
  close(vb.min, [-1 - 5, -2 - 10, 3 - 15]);
  close(vb.max, [-1 + 5, -2 + 10, 3 + 15]);
});

test('serialisation is byte-stable', () => {
  const roi: SlicerRoi = { coordinateSystem: 'LPS', center: [1, 2, 3], size: [1, 1, 1], orientation: [1, 0, 0, 0, 1, 0, 0, 0, 1], label: 'x', source: 'manual' };
  assert.equal(serializeSlicerRoi([roi]), serializeSlicerRoi(parseSlicerRoi(serializeSlicerRoi([roi]))));
});

for (const [name, markup, code] of [
  ['a point list', { type: 'Fiducial', center: [0, 0, 0], size: [1, 1, 1] }, 'not-roi'],
  ['a zero size', { type: 'ROI', center: [0, 0, 0], size: [1, 0, 1] }, 'non-positive-size'],
  ['an unknown coordinate system', { type: 'ROI', coordinateSystem: 'XYZ', center: [0, 0, 0], size: [1, 1, 1] }, 'bad-coordinate-system'],
  ['a singular orientation', { type: 'ROI', center: [0, 0, 0], size: [1, 1, 1], orientation: [1, 0, 0, 1, 0, 0, 0, 0, 1] }, 'schema'],
  ['a missing center', { type: 'ROI', size: [1, 1, 1] }, 'schema'],
] as const) {
  test(`rejects ${name}`, () => {
    assert.throws(
      () => parseSlicerRoi(JSON.stringify({ markups: [markup] }), 'n.mrk.json'),
      (e: unknown) => e instanceof SlicerRoiFormatError && e.issues[0]?.code === code && /^n\.mrk\.json: markups\[0\]/.test(e.message),
    );
  });
}

test('malformed JSON names line and column', () => {
  assert.throws(() => parseSlicerRoi('{"markups": [\n  {"type": "ROI",}\n]}', 'x.mrk.json'), /x\.mrk\.json: malformed JSON at line 2, column 18/);
});
