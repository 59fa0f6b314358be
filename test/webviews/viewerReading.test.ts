/**
 * What a reader of the viewer sees at a glance: a big CT starts drawing while it streams in,
 * photographs carry no anatomical labels, an oblique scan says so, and the crosshair stands out
 * on grey tissue whatever the theme.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser, openWebview, type WebviewPage } from './harness';
import { baseOf, cleanFixtures, openIn, phantom, sourceFor, writeNifti, writePng } from './viewerFixtures';

const shots = process.env.MEDSTUDIO_SCREENSHOT_DIR ?? '/tmp';
let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  cleanFixtures();
});

async function open(file: string): Promise<WebviewPage> {
  const wv = await openWebview(browser, 'viewer', { width: 900, height: 600 });
  await openIn(wv, await sourceFor(file, baseOf(wv)), 1 << 30, 120_000);
  return wv;
}

const headerText = async (wv: WebviewPage) => {
  await wv.page.click('#toggle-header');
  return (await wv.page.textContent('#header-panel')) ?? '';
};

test('a large CT draws its first slices while the rest still streams in, then settles on the middle slice', async () => {
  const dims: [number, number, number] = [256, 256, 96];
  const f = writeNifti('stream.nii.gz', { dims, data: phantom(dims) });
  const wv = await open(f);
  try {
    const total = dims[0] * dims[1] * dims[2] * 2;
    await wv.page.waitForFunction(() => !!(window as unknown as { medstudioViewer?: unknown }).medstudioViewer, undefined, { timeout: 60_000 });
    const bytes = (await wv.page.evaluate('window.medstudioViewer.stats.firstSliceBytes')) as number;
    assert.ok(bytes > 0 && bytes < total / 4, `first slice drawn with ${bytes} of ${total} voxel bytes in`);
    // Once all is in, the axial view shows the middle slice, and the CT window still applies.
    await wv.page.waitForFunction((k) => document.body.dataset.cursor?.split(',')[2] === String(k), dims[2] >> 1, { timeout: 60_000 });
    assert.equal(await wv.page.inputValue('#preset'), 'soft tissue');
  } finally {
    await wv.close();
  }
});

test('a photograph gets no view name and no A/P/R/L letters', async () => {
  const wv = await open(writePng('photo.png'));
  try {
    const view = wv.page.locator('.view[data-view="axial"]');
    assert.equal((await view.locator('.name').textContent())?.trim(), '');
    assert.deepEqual((await view.locator('.orient').allTextContents()).map((t) => t.trim()), ['', '', '', '']);
    assert.equal(await wv.page.locator('#layout').isVisible(), false, "no layout choice (no 'Axial') for a photograph");
    assert.match((await wv.page.textContent('#readout')) ?? '', /pixel \[\d+, \d+\]/);
    assert.doesNotMatch((await wv.page.textContent('#readout')) ?? '', /LPS/);
    assert.match(await headerText(wv), /orientation\s*none \(a photograph/, 'no anatomical orientation claimed');
    await wv.page.screenshot({ path: `${shots}/viewer-photo.png` });
  } finally {
    await wv.close();
  }
});

test('a volume tilted 15° says it is oblique, in the header and on the view', async () => {
  const t = (15 * Math.PI) / 180;
  const direction: [number, number, number, number, number, number, number, number, number] = [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
  const dims: [number, number, number] = [32, 32, 16];
  const wv = await open(writeNifti('tilt.nii.gz', { dims, data: phantom(dims), direction }));
  try {
    const note = wv.page.locator('.view[data-view="axial"] .oblique');
    assert.ok(await note.isVisible(), 'the view carries an oblique note');
    assert.match((await note.textContent()) ?? '', /oblique 15\.0°/);
    assert.match(await headerText(wv), /oblique: tilted 15\.0°/);
    await wv.page.screenshot({ path: `${shots}/viewer-oblique.png` });
  } finally {
    await wv.close();
  }
  const straight = await open(writeNifti('straight.nii.gz', { dims, data: phantom(dims) }));
  try {
    assert.equal(await straight.page.locator('.view[data-view="axial"] .oblique').isVisible(), false, 'an axis-aligned scan has no note');
  } finally {
    await straight.close();
  }
});

test('the crosshair stands out on grey tissue under a dark theme (whose cursor colour is light grey)', async () => {
  const dims: [number, number, number] = [64, 64, 32];
  const wv = await openWebview(browser, 'viewer', { width: 900, height: 600 });
  try {
    // VS Code's Dark+ cursor colour, as the webview gets it from the theme.
    await wv.page.evaluate(() => document.body.style.setProperty('--vscode-editorCursor-foreground', '#aeafad'));
    await openIn(wv, await sourceFor(writeNifti('cross.nii.gz', { dims, data: phantom(dims) }), baseOf(wv)));
    // Down a column inside the grey sphere, across the horizontal crosshair line: the largest
    // colour step between a pixel and the one 6 px above it.
    const contrast = await wv.page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas[data-view="axial"]')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const x = Math.floor(c.width * 0.42);
      let best = 0;
      for (let y = Math.floor(c.height * 0.4); y < Math.floor(c.height * 0.6); y++) {
        const a = (y * c.width + x) * 4;
        const b = ((y - 6) * c.width + x) * 4;
        best = Math.max(best, Math.hypot(d[a]! - d[b]!, d[a + 1]! - d[b + 1]!, d[a + 2]! - d[b + 2]!));
      }
      return best;
    });
    assert.ok(contrast > 150, `crosshair contrast against the tissue next to it: ${contrast.toFixed(0)} (of 441)`);
  } finally {
    await wv.close();
  }
});
