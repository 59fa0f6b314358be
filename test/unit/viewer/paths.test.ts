import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkViewerPath, decodeRoute, dicomFilesIn, isInside } from '../../../extension/src/editors/viewer/paths';

test('paths the webview sends must lie in the workspace or the opened file\'s folder', () => {
  const ws = path.resolve('/ws');
  const file = path.resolve('/data/scans/ct.nii.gz');
  assert.equal(checkViewerPath('labels.nii.gz', file, [ws]), path.resolve('/data/scans/labels.nii.gz'));
  assert.equal(checkViewerPath('/ws/seg/a.nii', file, [ws]), path.resolve('/ws/seg/a.nii'));
  assert.throws(() => checkViewerPath('../other/x.nii', file, [ws]), /\.\.\/other\/x\.nii is outside the workspace and the folder of ct\.nii\.gz/);
  assert.throws(() => checkViewerPath('/etc/passwd', file, [ws]), /outside the workspace/);
  assert.throws(() => checkViewerPath('/wsx/a.nii', file, [ws]), /outside/);
  assert.throws(() => checkViewerPath('', file, [ws]), /empty path/);
  assert.equal(isInside('/ws', '/ws'), true);
});

test('each format goes to its decoder: NIfTI and bitmaps in the webview, the rest to the server', () => {
  assert.equal(decodeRoute('a.nii'), 'nifti');
  assert.equal(decodeRoute('A.NII.GZ'), 'nifti');
  assert.equal(decodeRoute('x.png'), 'bitmap');
  assert.equal(decodeRoute('x.jpeg'), 'bitmap');
  for (const f of ['x.nrrd', 'x.mha', 'x.mhd', 'x.dcm', 'IM0001']) assert.equal(decodeRoute(f), 'server');
});

test('a DICOM folder lists .dcm files and extensionless files with the DICM preamble, not others', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dicomdir-'));
  try {
    const dicm = Buffer.alloc(200);
    dicm.write('DICM', 128, 'latin1');
    fs.writeFileSync(path.join(dir, 'IM0002'), dicm);
    fs.writeFileSync(path.join(dir, 'a.dcm'), Buffer.alloc(10));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    assert.deepEqual(dicomFilesIn(dir).map((p) => path.basename(p)), ['IM0002', 'a.dcm']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlink inside the workspace that leads out of it is refused, as on the server', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'viewer-links-')));
  try {
    const ws = path.join(base, 'ws');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(ws);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.nii'), 'x');
    fs.symlinkSync(outside, path.join(ws, 'link'));
    const opened = path.join(ws, 'ct.nii.gz');
    assert.throws(() => checkViewerPath('link/secret.nii', opened, [ws]), /outside the workspace/);
    fs.writeFileSync(path.join(ws, 'labels.nii'), 'x');
    assert.equal(checkViewerPath('labels.nii', opened, [ws]), path.join(ws, 'labels.nii'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
