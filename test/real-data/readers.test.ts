/**
 * Readers on real files from other projects' test data (../shared/data/real, see its README).
 * A fresh clone lacks that folder: then every test here is skipped with a reason saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageReadError, listDicomSeries, readDicomSeries, readImage } from '../../server/src/data/readers';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const real = path.resolve(root, '../shared/data/real');
const missing = fs.existsSync(real) ? false : `real-data folder ${real} is missing (it is not part of the repository)`;
const file = (name: string) => path.join(real, name);

test('example4d.nii.gz: gzipped 4D NIfTI, 128x96x24x2 int16, oblique; fast path equals itk-wasm', { skip: missing }, async () => {
  const fast = await readImage(file('example4d.nii.gz'));
  const itk = await readImage(file('example4d.nii.gz'), { forceItk: true });
  assert.deepEqual(fast.dims, [128, 96, 24, 2]);
  assert.equal(fast.pixelType, 'int16');
  for (const k of ['dims', 'pixelType', 'components', 'min', 'max', 'timeStep'] as const) assert.deepEqual(fast[k], itk[k], k);
  for (const k of ['spacing', 'origin', 'direction'] as const) fast[k].forEach((v, i) => assert.ok(Math.abs(v - itk[k][i]!) < 1e-5, `${k}[${i}] ${v} vs ${itk[k][i]}`));
  assert.deepEqual(Buffer.from(fast.data.buffer, fast.data.byteOffset, fast.data.byteLength).equals(Buffer.from(itk.data.buffer, itk.data.byteOffset, itk.data.byteLength)), true);
  // Oblique: the direction is not the identity (rotated about x by about 9.3 degrees).
  assert.ok(Math.abs(fast.direction[5] - itk.direction[5]) < 1e-6 && Math.abs(fast.direction[5]) > 0.1);
});

test('functional.nii: 4D float32 17x21x3x20; fast path equals itk-wasm', { skip: missing }, async () => {
  const fast = await readImage(file('functional.nii'));
  const itk = await readImage(file('functional.nii'), { forceItk: true });
  assert.deepEqual(fast.dims, [17, 21, 3, 20]);
  assert.equal(fast.pixelType, 'float32');
  assert.deepEqual(fast.spacing, itk.spacing);
  assert.deepEqual(fast.origin, itk.origin);
  assert.deepEqual(Array.from(fast.data), Array.from(itk.data));
});

test('CT_small.dcm and MR_small.dcm: single-frame DICOM with their pixel spacing and position', { skip: missing }, async () => {
  const ct = await readImage(file('CT_small.dcm'));
  assert.deepEqual(ct.dims, [128, 128, 1]);
  assert.ok(Math.abs(ct.spacing[0] - 0.661468) < 1e-6);
  assert.ok(ct.min < -500 && ct.max > 500, `CT range ${ct.min}..${ct.max} should be in Hounsfield units`);
  const mr = await readImage(file('MR_small.dcm'));
  assert.deepEqual(mr.dims, [64, 64, 1]);
  assert.equal(mr.pixelType, 'int16');
  assert.ok(Math.abs(mr.spacing[0] - 0.3125) < 1e-6);
});

test('the folder holds two DICOM series, told apart; reading it without choosing says so', { skip: missing }, async () => {
  const series = await listDicomSeries(real);
  assert.equal(series.length, 2);
  assert.deepEqual(series.map((s) => path.basename(s.files[0]!)).sort(), ['CT_small.dcm', 'MR_small.dcm']);
  await assert.rejects(readImage(real), (e: unknown) => e instanceof ImageReadError && e.problem === 'ambiguous-series');
  const one = await readDicomSeries(real, { seriesId: series.find((s) => s.modality === 'MR')!.id });
  assert.deepEqual(one.dims, [64, 64, 1]);
});
