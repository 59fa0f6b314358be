import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNiftiHeader, swapBytes } from '../../../webviews/src/viewer/load/nifti';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { Mat3, Vec3 } from '../../../server/src/formats/geometry';

const close = (a: readonly number[], b: readonly number[], eps = 1e-5) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < eps, `${a} vs ${b}`));

test('the webview NIfTI reader gives back the LPS geometry the writer was given', () => {
  const direction: Mat3 = [0, 1, 0, 0, 0, -1, 1, 0, 0];
  const spacing: Vec3 = [0.5, 1.25, 2];
  const origin: Vec3 = [-10, 20, 30];
  const bytes = encodeNifti({ data: new Int16Array(4 * 3 * 2 * 5), dims: [4, 3, 2, 5], spacing, origin, direction });
  const l = parseNiftiHeader(bytes, 'x.nii');
  assert.deepEqual(l.header.dims, [4, 3, 2]);
  assert.equal(l.header.frames, 5);
  assert.equal(l.header.voxelType, 'int16');
  assert.equal(l.voxOffset, 352);
  close(l.header.spacing, spacing);
  close(l.header.origin, origin);
  close(l.header.direction, direction);
});

test('clear errors: not NIfTI, NIfTI-2, unsupported datatype, truncated', () => {
  assert.throws(() => parseNiftiHeader(new Uint8Array(10), 'a.nii'), /a\.nii: too short/);
  assert.throws(() => parseNiftiHeader(new Uint8Array(400), 'b.nii'), /b\.nii: not a NIfTI-1 file/);
  const n2 = new Uint8Array(600);
  new DataView(n2.buffer).setInt32(0, 540, true);
  assert.throws(() => parseNiftiHeader(n2, 'c.nii'), /NIfTI-2 is not supported/);
  const bytes = encodeNifti({ data: new Uint8Array(8), dims: [2, 2, 2], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
  new DataView(bytes.buffer).setInt16(70, 1536, true); // float128
  assert.throws(() => parseNiftiHeader(bytes, 'd.nii'), /d\.nii: NIfTI datatype 1536 is not supported/);
});

test('big-endian headers are read and their voxels swapped', () => {
  const le = encodeNifti({ data: new Int16Array([1, 2]), dims: [2, 1, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
  const be = new Uint8Array(le);
  const dv = new DataView(be.buffer);
  const ldv = new DataView(le.buffer);
  dv.setInt32(0, 348, false);
  for (let k = 0; k < 8; k++) dv.setInt16(40 + 2 * k, ldv.getInt16(40 + 2 * k, true), false);
  dv.setInt16(70, 4, false);
  for (const o of [76, 80, 84, 88, 108, 112]) dv.setFloat32(o, ldv.getFloat32(o, true), false);
  dv.setInt16(252, 0, false);
  dv.setInt16(254, 0, false);
  const l = parseNiftiHeader(be, 'be.nii');
  assert.equal(l.littleEndian, false);
  const vox = new Uint8Array([0, 1, 0, 2]);
  swapBytes(vox, 2);
  assert.deepEqual(Array.from(new Int16Array(vox.buffer)), [1, 2]);
});
