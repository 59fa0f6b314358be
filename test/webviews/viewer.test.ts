/**
 * The viewer opens each format (NIfTI 3D/4D, NRRD, MetaImage, DICOM, PNG) in headless
 * Chromium, shows the first slice and its header, and refuses an over-limit volume clearly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, openWebview, type WebviewPage } from './harness';
import { writeDicomSlice } from '../unit/data/fixtures';
import { baseOf, cleanFixtures, fixturesDir, frames, nextFrame, openIn, phantom, pixelAt, regionMean, sourceFor, writeMha, writeMhd, writeNifti, writeNrrd, writePng } from './viewerFixtures';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  cleanFixtures();
});

async function open(file: string, opts: { maxBytes?: number; width?: number; height?: number } = {}): Promise<WebviewPage> {
  const wv = await openWebview(browser, 'viewer', { width: opts.width ?? 900, height: opts.height ?? 600 });
  await openIn(wv, await sourceFor(file, baseOf(wv)), opts.maxBytes);
  return wv;
}

async function headerText(wv: WebviewPage): Promise<string> {
  await wv.page.click('#toggle-header');
  return (await wv.page.textContent('#header-panel')) ?? '';
}

test('a gzipped 3D NIfTI opens: three views show the phantom and the header gives its size and spacing', async () => {
  const f = writeNifti('ct.nii.gz', { dims: [40, 32, 24], data: phantom([40, 32, 24]), spacing: [0.8, 0.8, 2] });
  const wv = await open(f);
  try {
    for (const v of ['axial', 'coronal', 'sagittal']) {
      const centre = await regionMean(wv, v, 0.45, 0.45, 0.55, 0.55);
      assert.ok(centre > 60, `${v} view centre is dark (${centre})`);
    }
    const h = await headerText(wv);
    assert.match(h, /40 x 32 x 24/);
    assert.match(h, /0\.8 x 0\.8 x 2/);
    assert.match(h, /int16/);
    assert.equal(await wv.page.inputValue('#preset'), 'soft tissue', 'a CT in HU gets a CT window');
  } finally {
    await wv.close();
  }
});

test('a 4D NIfTI gets a time slider, and moving it shows the other time point', async () => {
  const f = writeNifti('fmri.nii', { dims: [24, 20, 12, 3], data: phantom([24, 20, 12], 3).map((x) => (x < 0 ? 0 : x)) });
  const wv = await open(f);
  try {
    await wv.page.selectOption('#preset', 'auto');
    const n = await frames(wv);
    const before = await regionMean(wv, 'axial', 0.45, 0.45, 0.55, 0.55);
    await wv.page.fill('#frame', '2');
    await wv.page.dispatchEvent('#frame', 'input');
    await nextFrame(wv, n);
    const afterMean = await regionMean(wv, 'axial', 0.45, 0.45, 0.55, 0.55);
    assert.ok(afterMean > before + 20, `frame 2 (values +200) is not brighter: ${before} -> ${afterMean}`);
    assert.match((await wv.page.textContent('#frame-label')) ?? '', /3 \/ 3/);
  } finally {
    await wv.close();
  }
});

test('NRRD and MetaImage (.mha, and .mhd with its .raw) open through the server decoder and look like the NIfTI', async () => {
  const dims: [number, number, number] = [32, 28, 16];
  const data = phantom(dims);
  for (const file of [writeNrrd('vol.nrrd', dims, data), writeMha('vol.mha', dims, data), writeMhd('vol.mhd', dims, data)]) {
    const wv = await open(file);
    try {
      const centre = await regionMean(wv, 'axial', 0.45, 0.45, 0.55, 0.55);
      assert.ok(centre > 60, `${path.basename(file)}: axial centre is dark (${centre})`);
      const h = await headerText(wv);
      assert.match(h, /32 x 28 x 16/);
      assert.match(h, /read by.*server/);
    } finally {
      await wv.close();
    }
  }
});

test('a DICOM file opens its whole series (sorted by position), not the other series in its folder', async () => {
  const folder = path.join(fixturesDir(), 'dicom-folder');
  fs.mkdirSync(folder, { recursive: true });
  const slice = (uid: string, instance: number, z: number, value: number) => ({
    seriesUid: uid, seriesNumber: 1, description: uid.endsWith('11') ? 'axial' : 'other', instance, position: [0, 0, z] as [number, number, number],
    orientation: [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number], pixelSpacing: [1, 1] as [number, number], rows: 8, columns: 10,
    pixels: new Int16Array(80).fill(value),
  });
  // File names in an order unrelated to position; values rise with z so sorting shows.
  [5, -5, 0].forEach((z, k) => writeDicomSlice(path.join(folder, `img${9 - k}.dcm`), slice('1.2.826.0.1.3680043.8.498.11', k, z, 100 + z * 10)));
  [2, 4].forEach((z, k) => writeDicomSlice(path.join(folder, `other${k}.dcm`), slice('1.2.826.0.1.3680043.8.498.22', k, z, 0)));
  const wv = await open(path.join(folder, 'img9.dcm'));
  try {
    const h = await headerText(wv);
    assert.match(h, /10 x 8 x 3/);
    assert.match(h, /series files3/);
    assert.match(h, /modalityCT/);
    // The first slice in z (k = 0) is the lowest (z = -5, value 50).
    assert.equal(await wv.page.evaluate(() => document.body.dataset.cursor), '5,4,1');
    assert.match((await wv.page.textContent('#readout')) ?? '', /value 100/);
  } finally {
    await wv.close();
  }
});

const realCt = path.join(path.resolve(__dirname, '..', '..', '..'), 'shared', 'data', 'real', 'CT_small.dcm');
test('a real DICOM CT (pydicom CT_small.dcm) opens as a single-slice image', { skip: !fs.existsSync(realCt) && `no ${realCt}` }, async () => {
  const copy = path.join(fixturesDir(), 'CT_small.dcm');
  fs.copyFileSync(realCt, copy);
  const wv = await open(copy);
  try {
    const h = await headerText(wv);
    assert.match(h, /128 x 128 x 1/);
    const centre = await regionMean(wv, 'axial', 0.4, 0.4, 0.6, 0.6);
    assert.ok(centre > 20, `CT_small centre is black (${centre})`);
    assert.equal(await wv.page.inputValue('#layout'), 'axial', 'a single slice shows one view');
  } finally {
    await wv.close();
  }
});

test('a PNG opens in colour with the image the right way round', async () => {
  const wv = await open(writePng('skin.png'));
  try {
    const px = { leftMid: await pixelAt(wv, 'axial', 0.35, 0.5), rightMid: await pixelAt(wv, 'axial', 0.65, 0.5) };
    assert.ok(px.leftMid[0]! > 150 && px.leftMid[2]! < 80, `left half should be red: ${px.leftMid}`);
    assert.ok(px.rightMid[2]! > 150 && px.rightMid[0]! < 80, `right half should be blue: ${px.rightMid}`);
  } finally {
    await wv.close();
  }
});

test('a volume past the size limit gets a clear message instead of a crash', async () => {
  const f = writeNifti('big.nii.gz', { dims: [64, 64, 64], data: phantom([64, 64, 64]) });
  const wv = await openWebview(browser, 'viewer');
  try {
    const source = await sourceFor(f, baseOf(wv));
    wv.answer('ready', () => ({ title: 'big', source, maxBytes: 100_000 }));
    const m = await wv.waitForPosted((x) => x.kind === 'event' && x.type === 'failed');
    assert.match(JSON.stringify(m), /more than the viewer's limit/);
    assert.match((await wv.page.textContent('#message')) ?? '', /big\.nii\.gz holds 0\.5 MB of voxels, more than the viewer's limit of 0\.1 MB/);
  } finally {
    await wv.close();
  }
});
