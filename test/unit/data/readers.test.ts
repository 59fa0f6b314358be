import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNifti, encodeNiftiGz } from '../../../server/src/data/writers/nifti';
import { ImageReadError, listDicomSeries, readDicomSeries, readImage, type MedImage } from '../../../server/src/data/readers';
import { worldToVoxel, type Mat3 } from '../../../server/src/formats/geometry';
import { pngValue, rampVolume, tempDir, writeDicomSlice, writeMetaImage, writeNrrd, writePng, type Geometry3 } from './fixtures';

const dir = tempDir('readers');
const dims = [4, 3, 2];
const c = Math.cos(0.4);
const s = Math.sin(0.4);
// Oblique and non-symmetric, so a transposed direction would show.
const oblique: Geometry3 = { spacing: [0.75, 1.5, 2.5], origin: [12.5, -30, 7], direction: [c, 0, s, 0, 1, 0, -s, 0, c] as Mat3 };
const ramp = rampVolume(dims);

function close(a: readonly number[], b: readonly number[], eps: number, what: string) {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= eps, `${what}: [${a.join(', ')}] vs [${b.join(', ')}]`));
}

function assertGeometry(img: MedImage, g: Geometry3, what: string) {
  close(img.spacing, g.spacing, 1e-5, `${what} spacing`);
  close(img.origin, g.origin, 1e-4, `${what} origin`);
  close(img.direction, g.direction, 1e-5, `${what} direction`);
  // The 4x4 world->voxel inverts voxel->world on a corner voxel.
  const w = [0, 1, 2].map((r) => img.voxelToWorld[r * 4]! * 3 + img.voxelToWorld[r * 4 + 1]! * 2 + img.voxelToWorld[r * 4 + 2]! * 1 + img.voxelToWorld[r * 4 + 3]!);
  close(worldToVoxel(img, w as [number, number, number]), [3, 2, 1], 1e-6, `${what} world->voxel`);
}

function assertRamp(img: MedImage, what: string) {
  assert.deepEqual(img.dims, dims, `${what} dims`);
  assert.equal(img.pixelType, 'int16', `${what} pixel type`);
  assert.deepEqual(Array.from(img.data), Array.from(ramp), `${what} voxels`);
  assert.equal(img.min, -50);
  assert.equal(img.max, 3 + 20 + 100 - 50);
}

test('NIfTI .nii, .nii.gz and big-endian .nii read the same voxels and oblique geometry, fast path and itk-wasm alike', async () => {
  const files = {
    le: path.join(dir, 'le.nii'),
    gz: path.join(dir, 'gz.nii.gz'),
    be: path.join(dir, 'be.nii'),
  };
  fs.writeFileSync(files.le, encodeNifti({ data: ramp, dims, ...oblique }));
  fs.writeFileSync(files.gz, encodeNiftiGz({ data: ramp, dims, ...oblique }));
  fs.writeFileSync(files.be, encodeNifti({ data: ramp, dims, ...oblique, bigEndian: true }));
  for (const [name, file] of Object.entries(files)) {
    for (const forceItk of [false, true]) {
      const img = await readImage(file, { forceItk });
      const what = `${name} ${forceItk ? 'itk' : 'fast'}`;
      assertRamp(img, what);
      assertGeometry(img, oblique, what);
      assert.equal(img.format, 'nifti');
    }
  }
});

test('4D NIfTI keeps the time axis and its step; scl_slope rescales to float32 as ITK does', async () => {
  const dims4 = [2, 2, 1, 3];
  const data = new Int16Array(12).map((_, i) => i * 3 - 4);
  const f4 = path.join(dir, 'four.nii.gz');
  fs.writeFileSync(f4, encodeNiftiGz({ data, dims: dims4, spacing: [1, 1, 2], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], timeStep: 2.5 }));
  const fast = await readImage(f4);
  const itk = await readImage(f4, { forceItk: true });
  for (const img of [fast, itk]) {
    assert.deepEqual(img.dims, dims4);
    assert.equal(img.timeStep, 2.5);
    assert.deepEqual(Array.from(img.data), Array.from(data));
  }
  const fs2 = path.join(dir, 'scaled.nii');
  fs.writeFileSync(fs2, encodeNifti({ data: ramp, dims, ...oblique, slope: 0.5, intercept: 10 }));
  const a = await readImage(fs2);
  const b = await readImage(fs2, { forceItk: true });
  assert.equal(a.pixelType, b.pixelType);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.equal(a.data[0], -50 * 0.5 + 10);
});

test('NRRD (raw little-endian, gzip big-endian) and MetaImage (.mha, .mhd + .raw) read voxels and oblique geometry', async () => {
  const files = [
    writeNrrd(path.join(dir, 'a.nrrd'), ramp, dims, oblique),
    writeNrrd(path.join(dir, 'b.nrrd'), ramp, dims, oblique, { encoding: 'gzip', bigEndian: true }),
    writeMetaImage(path.join(dir, 'c.mha'), ramp, dims, oblique),
    writeMetaImage(path.join(dir, 'd.mhd'), ramp, dims, oblique),
  ];
  for (const f of files) {
    const img = await readImage(f);
    assertRamp(img, path.basename(f));
    assertGeometry(img, oblique, path.basename(f));
  }
});

test('PNG grey, grey+alpha, RGB and RGBA keep their channels; fast path equals itk-wasm', async () => {
  for (const ch of [1, 2, 3, 4] as const) {
    const f = writePng(path.join(dir, `p${ch}.png`), 5, 3, ch);
    const fast = await readImage(f);
    const itk = await readImage(f, { forceItk: true });
    for (const img of [fast, itk]) {
      assert.equal(img.components, ch);
      assert.deepEqual(img.dims, [5, 3, 1]);
      assert.equal(img.spatialDims, 2);
      assert.equal(img.pixelType, 'uint8');
    }
    assert.deepEqual(Array.from(fast.data), Array.from(itk.data));
    if (ch === 3) assert.deepEqual(Array.from(fast.data.subarray((1 * 5 + 2) * 3, (1 * 5 + 2) * 3 + 3)), [0, 1, 2].map((k) => pngValue(2, 1, k)));
  }
});

test('JPEG reads through itk-wasm', async () => {
  const { writeImageNode } = await import('@itk-wasm/image-io');
  const png = await readImage(writePng(path.join(dir, 'j.png'), 8, 8, 3));
  const f = path.join(dir, 'j.jpg');
  const { default: itk } = { default: await import('itk-wasm') };
  const image = new itk.Image(new itk.ImageType(2, 'uint8', 'RGB', 3));
  image.size = [8, 8];
  image.data = png.data;
  await writeImageNode(image, f);
  const img = await readImage(f);
  assert.equal(img.format, 'jpeg');
  assert.deepEqual(img.dims, [8, 8, 1]);
  assert.equal(img.components, 3);
});

test('a DICOM folder with two series: told apart, slices sorted by position, read as volumes', async () => {
  const folder = path.join(dir, 'dicom');
  fs.mkdirSync(folder);
  const slice = (uid: string, k: number, z: number) => ({
    seriesUid: uid,
    seriesNumber: uid.endsWith('1') ? 1 : 2,
    description: uid.endsWith('1') ? 'axial' : 'second',
    instance: k + 1,
    position: [-10, -20, z] as [number, number, number],
    orientation: [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number],
    pixelSpacing: [0.5, 0.8] as [number, number],
    rows: 3,
    columns: 4,
    pixels: new Int16Array(12).map((_, i) => i + 100 * z),
  });
  // File names in an order unrelated to position.
  const zs = [5, -5, 0];
  zs.forEach((z, k) => writeDicomSlice(path.join(folder, `img${9 - k}.dcm`), slice('1.2.826.0.1.3680043.8.498.11', k, z)));
  [2, 4].forEach((z, k) => writeDicomSlice(path.join(folder, `other${k}.dcm`), slice('1.2.826.0.1.3680043.8.498.22', k, z)));
  fs.writeFileSync(path.join(folder, 'README.txt'), 'not DICOM');

  const series = await listDicomSeries(folder);
  assert.deepEqual(series.map((x) => [x.id, x.files.length, x.description]), [
    ['1.2.826.0.1.3680043.8.498.11', 3, 'axial'],
    ['1.2.826.0.1.3680043.8.498.22', 2, 'second'],
  ]);
  assert.deepEqual(series[0]!.files.map((f) => path.basename(f)), ['img8.dcm', 'img7.dcm', 'img9.dcm']);

  await assert.rejects(readImage(folder), (e: unknown) => e instanceof ImageReadError && e.problem === 'ambiguous-series' && /2 DICOM series/.test(e.message));
  const vol = await readDicomSeries(folder, { seriesId: series[0]!.id });
  assert.deepEqual(vol.dims, [4, 3, 3]);
  // PixelSpacing is (between rows, between columns) = (y, x).
  close(vol.spacing, [0.8, 0.5, 5], 1e-6, 'dicom spacing');
  close(vol.origin, [-10, -20, -5], 1e-6, 'dicom origin');
  // Slice k holds i + 100 z with z sorted ascending.
  assert.deepEqual([vol.data[0], vol.data[12], vol.data[24]], [-500, 0, 500]);
  const single = await readImage(path.join(folder, 'img8.dcm'));
  assert.equal(single.format, 'dicom');
  assert.deepEqual(single.dims, [4, 3, 1]);
  assert.equal(single.data[5], 5 - 500);
});

// ---- bad input: every case names the file and the problem ----

async function expectError(file: string, problem: string, pattern: RegExp) {
  await assert.rejects(readImage(file), (e: unknown) => {
    assert.ok(e instanceof ImageReadError, `expected ImageReadError, got ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.ok(e.message.startsWith(path.resolve(file)), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('bad input: missing, empty, truncated, corrupt, wrong extension, unsupported, gigantic', async () => {
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad);
  const w = (name: string, data: Uint8Array | string) => {
    fs.writeFileSync(path.join(bad, name), data);
    return path.join(bad, name);
  };
  const nii = encodeNifti({ data: ramp, dims, ...oblique });
  const gz = encodeNiftiGz({ data: rampVolume([16, 16, 16]), dims: [16, 16, 16], ...oblique });
  const giant = encodeNifti({ data: new Int16Array(1), dims: [1, 1, 1], ...oblique });
  const gv = new DataView(giant.buffer);
  gv.setInt16(40, 3, true);
  [30000, 30000, 30000].forEach((d, i) => gv.setInt16(42 + 2 * i, d, true));
  const png = fs.readFileSync(writePng(path.join(bad, 'ok.png'), 16, 16, 3));
  const unknownType = nii.slice();
  new DataView(unknownType.buffer).setInt16(70, 1792, true); // complex128

  await expectError(path.join(bad, 'missing.nii'), 'not-found', /does not exist/);
  await expectError(w('empty.nii.gz', ''), 'empty', /empty/);
  await expectError(w('cut.nii', nii.subarray(0, 360)), 'truncated', /voxel data/);
  await expectError(w('cut-header.nii', nii.subarray(0, 200)), 'truncated', /NIfTI header is 200 bytes/);
  await expectError(w('cut.nii.gz', gz.subarray(0, gz.length - 40)), 'truncated', /cut short/);
  await expectError(w('giant.nii', giant), 'too-large', /30000x30000x30000.*limit/);
  await expectError(w('complex.nii', unknownType), 'unsupported', /datatype 1792/);
  await expectError(w('photo.nii.gz', png), 'wrong-extension', /named like a NIfTI file but holds PNG/);
  await expectError(w('notes.txt', 'hello'), 'unsupported', /not in a format MedStudio reads/);
  await expectError(w('garbage.nrrd', 'hello world'), 'corrupt', /NRRD/);
  await expectError(w('cut.png', png.subarray(0, png.length - 30)), 'truncated', /cut short/);
  const nrrd = fs.readFileSync(writeNrrd(path.join(bad, 'full.nrrd'), ramp, dims, oblique));
  await expectError(w('cut.nrrd', nrrd.subarray(0, nrrd.length - 6)), 'truncated', /bytes of voxel data/);
  const mhd = writeMetaImage(path.join(bad, 'lost.mhd'), ramp, dims, oblique);
  fs.rmSync(mhd.replace(/\.mhd$/, '.raw'));
  await expectError(mhd, 'not-found', /data file lost\.raw/);
  await expectError(w('giant.nrrd', 'NRRD0004\ntype: short\ndimension: 3\nsizes: 100000 100000 100000\nencoding: raw\n\n'), 'too-large', /limit/);
});

test('parallel itk-wasm reads (as a batch does) leave the console as it was', async () => {
  const log = console.log;
  const error = console.error;
  const files = [0, 1, 2].map((k) => writeNrrd(path.join(dir, `par${k}.nrrd`), ramp, dims, oblique));
  const imgs = await Promise.all(files.map((f) => readImage(f)));
  assert.ok(imgs.every((i) => i.dims.join() === dims.join()));
  assert.equal(console.log, log);
  assert.equal(console.error, error);
});

test('DICOM listing: implicit VR files, and a localizer inside the same series UID kept apart', async () => {
  const folder = path.join(dir, 'dicom2');
  fs.mkdirSync(folder);
  const uid = '1.2.826.0.1.3680043.8.498.33';
  const base = { seriesUid: uid, seriesNumber: 3, description: 'chest', pixelSpacing: [1, 1] as [number, number], rows: 2, columns: 2, pixels: new Int16Array(4) };
  const axial = [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number];
  writeDicomSlice(path.join(folder, 'a.dcm'), { ...base, instance: 2, position: [0, 0, 10], orientation: axial }, true);
  writeDicomSlice(path.join(folder, 'b.dcm'), { ...base, instance: 1, position: [0, 0, 12], orientation: axial }, true);
  writeDicomSlice(path.join(folder, 'c.dcm'), { ...base, instance: 3, position: [0, 0, 8], orientation: axial });
  writeDicomSlice(path.join(folder, 'loc.dcm'), { ...base, instance: 9, position: [0, 0, 0], orientation: [0, 1, 0, 0, 0, -1] });
  const series = await listDicomSeries(folder);
  assert.deepEqual(series.map((x) => [x.id, x.files.map((f) => path.basename(f))]).sort(), [
    [uid, ['c.dcm', 'a.dcm', 'b.dcm']],
    [`${uid}.2`, ['loc.dcm']],
  ]);
});
