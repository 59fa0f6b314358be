/**
 * Using the viewer as a person would: orientation on a volume whose voxel axes are permuted,
 * wheel/keys/slider slicing, window/level by drag, overlays (a Grad-CAM heatmap, a kernel image
 * still optimising, a label map), state kept across a reload, and screenshots against references.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { Mat3 } from '../../server/src/formats/geometry';
import type { WireMessage } from '../../server/src/protocol';
import type { OverlayMessage } from '../../server/src/protocol/viewer';
import { launchBrowser, openWebview, type WebviewPage } from './harness';
import { baseOf, cleanFixtures, frames, matchScreenshot, nextFrame, openIn, phantom, pixelAt, regionMean, sourceFor, writeNifti } from './viewerFixtures';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  cleanFixtures();
});

// Voxel axes: i runs inferior->superior, j right->left, k posterior->anterior (orientation "SLA").
const SLA: Mat3 = [0, 1, 0, 0, 0, -1, 1, 0, 0];
const DIMS: [number, number, number] = [16, 24, 20];

/** Bright where the patient's left (+600), superior (+300) and anterior (+150) halves are. */
function anatomyVolume(): Int16Array {
  const [nx, ny, nz] = DIMS;
  const d = new Int16Array(nx * ny * nz);
  let o = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) d[o++] = (j >= ny / 2 ? 600 : 0) + (i >= nx / 2 ? 300 : 0) + (k >= nz / 2 ? 150 : 0);
  return d;
}

async function openFile(file: string, state?: unknown): Promise<WebviewPage> {
  const wv = await openWebview(browser, 'viewer', { width: 900, height: 600, state });
  await openIn(wv, await sourceFor(file, baseOf(wv)));
  return wv;
}

const send = (wv: WebviewPage, type: string, payload: unknown) => wv.send({ kind: 'event', type, payload } as WireMessage);
const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const cursor = async (wv: WebviewPage) => ((await wv.page.evaluate(() => document.body.dataset.cursor)) ?? '').split(',').map(Number);

test('a volume with permuted voxel axes is shown anatomically, with the right R/L/A/P/S/I letters', async () => {
  const wv = await openFile(writeNifti('sla.nii', { dims: DIMS, data: anatomyVolume(), direction: SLA }));
  try {
    const letters = async (view: string) =>
      wv.page.evaluate((v) => Object.fromEntries([...document.querySelectorAll(`.view[data-view="${v}"] .orient`)].map((e) => [(e as HTMLElement).dataset.edge, e.textContent])), view);
    assert.deepEqual(await letters('axial'), { left: 'R', right: 'L', top: 'A', bottom: 'P' });
    assert.deepEqual(await letters('coronal'), { left: 'R', right: 'L', top: 'S', bottom: 'I' });
    assert.deepEqual(await letters('sagittal'), { left: 'A', right: 'P', top: 'S', bottom: 'I' });
    const lr = async (v: string): Promise<[number, number]> => [await regionMean(wv, v, 0.05, 0.3, 0.4, 0.4), await regionMean(wv, v, 0.6, 0.3, 0.95, 0.4)];
    const tb = async (v: string): Promise<[number, number]> => [await regionMean(wv, v, 0.3, 0.05, 0.4, 0.4), await regionMean(wv, v, 0.3, 0.6, 0.4, 0.9)];
    // The patient's left is on the screen's right in axial and coronal views.
    for (const v of ['axial', 'coronal']) {
      const [l, r] = await lr(v);
      assert.ok(r > l + 40, `${v}: screen right (patient left) should be brighter: ${l} vs ${r}`);
    }
    const [ax0, ax1] = await tb('axial');
    assert.ok(ax0 > ax1 + 5, `axial: anterior (top) should be brighter: ${ax0} vs ${ax1}`);
    for (const v of ['coronal', 'sagittal']) {
      const [t, b] = await tb(v);
      assert.ok(t > b + 20, `${v}: superior (top) should be brighter: ${t} vs ${b}`);
    }
    const [sa, sp] = await lr('sagittal');
    assert.ok(sa > sp + 5, `sagittal: anterior (left) should be brighter: ${sa} vs ${sp}`);
  } finally {
    await wv.close();
  }
});

test('the wheel, the arrow keys and the slider scroll slices of the view under them', async () => {
  const wv = await openFile(writeNifti('scroll.nii.gz', { dims: [32, 32, 24], data: phantom([32, 32, 24]) }));
  try {
    const c0 = await cursor(wv);
    const box = (await wv.page.locator('canvas[data-view="axial"]').boundingBox())!;
    await wv.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    let n = await frames(wv);
    await wv.page.mouse.wheel(0, -100);
    n = await nextFrame(wv, n);
    assert.equal((await cursor(wv))[2], c0[2]! + 1, 'wheel up: next axial slice');
    assert.match((await wv.page.textContent('.view[data-view="axial"] .footer span')) ?? '', new RegExp(`^${c0[2]! + 2} / 24$`));
    await wv.page.mouse.wheel(0, 100);
    n = await nextFrame(wv, n);
    await wv.page.mouse.wheel(0, 100);
    n = await nextFrame(wv, n);
    assert.equal((await cursor(wv))[2], c0[2]! - 1);
    await wv.page.keyboard.press('ArrowUp');
    n = await nextFrame(wv, n);
    await wv.page.keyboard.press('PageUp');
    n = await nextFrame(wv, n);
    assert.equal((await cursor(wv))[2], c0[2]! + 10);
    await wv.page.fill('.view[data-view="coronal"] input[type=range]', '3');
    await wv.page.dispatchEvent('.view[data-view="coronal"] input[type=range]', 'input');
    await nextFrame(wv, n);
    assert.equal((await cursor(wv))[1], 3, 'coronal slider sets j');
  } finally {
    await wv.close();
  }
});

test('dragging on a view changes window/level and the rendering; a CT preset restores it', async () => {
  const wv = await openFile(writeNifti('wl.nii.gz', { dims: [32, 32, 16], data: phantom([32, 32, 16]) }));
  try {
    const before = await regionMean(wv, 'axial', 0.3, 0.3, 0.7, 0.7);
    const w0 = Number(await wv.page.inputValue('#wl-width'));
    const box = (await wv.page.locator('canvas[data-view="axial"]').boundingBox())!;
    const n = await frames(wv);
    await wv.page.mouse.move(box.x + 50, box.y + 50);
    await wv.page.mouse.down();
    await wv.page.mouse.move(box.x + 60, box.y + 150, { steps: 5 });
    await wv.page.mouse.move(box.x + 250, box.y + 150, { steps: 5 });
    await wv.page.mouse.up();
    await nextFrame(wv, n);
    const afterMean = await regionMean(wv, 'axial', 0.3, 0.3, 0.7, 0.7);
    assert.equal(await wv.page.inputValue('#preset'), 'custom');
    assert.ok(Number(await wv.page.inputValue('#wl-width')) > w0, 'dragging right widens the window');
    assert.ok(Math.abs(afterMean - before) > 5, `rendering unchanged by the drag: ${before} vs ${afterMean}`);
    await wv.page.selectOption('#preset', 'lung');
    assert.equal(await wv.page.inputValue('#wl-width'), '1500');
    assert.equal(await wv.page.inputValue('#wl-center'), '-600');
  } finally {
    await wv.close();
  }
});

test('a Grad-CAM heatmap and a kernel image still optimising appear on top; a label map too', async () => {
  const dims: [number, number, number] = [32, 32, 16];
  const file = writeNifti('ov.nii.gz', { dims, data: phantom(dims) });
  const labels = new Uint8Array(32 * 32 * 16);
  for (let k = 0; k < 16; k++) for (let j = 4; j < 12; j++) for (let i = 4; i < 12; i++) labels[(k * 32 + j) * 32 + i] = 2;
  const labelFile = writeNifti('ov-labels.nii.gz', { dims, data: labels });
  const wv = await openFile(file);
  try {
    await wv.page.selectOption('#preset', 'lung');
    let n = await frames(wv);
    const plain = await pixelAt(wv, 'axial', 0.5, 0.5);
    // Heat on a coarser grid (model input), hot everywhere in the right half of the image.
    const heat = new Float32Array(8 * 8 * 4);
    for (let k = 0; k < 4; k++) for (let j = 0; j < 8; j++) for (let i = 4; i < 8; i++) heat[(k * 8 + j) * 8 + i] = 0.8;
    await send(wv, 'overlay', { id: 'gradcam:run1', kind: 'heatmap', name: 'Grad-CAM: nodule', heat: b64(heat), dims: [8, 8, 4], final: true } satisfies OverlayMessage);
    n = await nextFrame(wv, n);
    const hot = await pixelAt(wv, 'axial', 0.6, 0.5);
    const cold = await pixelAt(wv, 'axial', 0.4, 0.5);
    assert.ok(hot[0]! > hot[2]! + 60, `heat should tint the right half red: ${hot} (plain ${plain})`);
    assert.ok(Math.abs(cold[0]! - cold[2]!) < 10, `left half stays grey: ${cold}`);
    await wv.page.waitForSelector('[data-overlay="gradcam:run1"]');
    // A kernel-interpretation image arrives step by step under one id (values not in [0, 1]).
    const k1 = new Float32Array(16).fill(-3);
    k1[0] = 5;
    await send(wv, 'overlay', { id: 'kernel:run1:3', kind: 'heatmap', name: 'Kernel 3', heat: b64(k1), dims: [4, 4], final: false, caption: 'step 5' } satisfies OverlayMessage);
    await wv.page.waitForSelector('text=Kernel 3 (optimising…)');
    await send(wv, 'overlay', { id: 'kernel:run1:3', kind: 'heatmap', name: 'Kernel 3', heat: b64(k1), dims: [4, 4], final: true, caption: 'step 40' } satisfies OverlayMessage);
    await wv.page.waitForSelector('text=step 40');
    assert.equal(await wv.page.locator('[data-overlay="kernel:run1:3"]').count(), 1, 'progress replaces, never stacks');
    // Label map
    n = await frames(wv);
    await send(wv, 'overlay', { id: 'labels:1', kind: 'labels', name: 'ov-labels.nii.gz', source: await sourceFor(labelFile, baseOf(wv)) } satisfies OverlayMessage);
    await wv.page.waitForSelector('[data-label="2"]');
    await nextFrame(wv, n);
    await wv.page.click('#heat-visible');
    n = await nextFrame(wv, n + 1);
    const lab = await pixelAt(wv, 'axial', 0.25, 0.25);
    assert.ok(lab[1]! > lab[0]! + 30 && lab[1]! > lab[2]! + 30, `label 2 is drawn in its colour (green): ${lab}`);
    await wv.page.uncheck('[data-label="2"]');
    await nextFrame(wv, n);
    const hidden = await pixelAt(wv, 'axial', 0.25, 0.25);
    assert.ok(Math.abs(hidden[0]! - hidden[1]!) < 10, `unticking label 2 hides it: ${hidden}`);
    // A label map on another grid belongs to another scan: refused, with both sizes named.
    const wrong = writeNifti('wrong-labels.nii.gz', { dims: [8, 8, 8], data: new Uint8Array(512) });
    await send(wv, 'overlay', { id: 'labels:2', kind: 'labels', name: 'wrong-labels.nii.gz', source: await sourceFor(wrong, baseOf(wv)) } satisfies OverlayMessage);
    const failed = await wv.waitForPosted((m) => m.kind === 'event' && m.type === 'failed');
    assert.match(JSON.stringify(failed), /wrong-labels\.nii\.gz is 8x8x8, the image is 32x32x16/);
  } finally {
    await wv.close();
  }
});

test('the Explain button asks the extension to explain this image, and a refusal is shown', async () => {
  const wv = await openFile(writeNifti('explain.nii.gz', { dims: [16, 16, 8], data: phantom([16, 16, 8]) }));
  try {
    wv.answer('explain', () => ({ ok: false, message: 'No trained model found' }));
    await wv.page.click('#explain');
    await wv.waitForPosted((m) => m.kind === 'request' && m.method === 'explain');
    await wv.page.waitForSelector('#readout:has-text("No trained model found")');
  } finally {
    await wv.close();
  }
});

test('slice, zoom, window and layout come back after a reload (vscode getState)', async () => {
  const file = writeNifti('state.nii.gz', { dims: [32, 32, 20], data: phantom([32, 32, 20]) });
  const wv = await openFile(file);
  let state: unknown;
  try {
    const box = (await wv.page.locator('canvas[data-view="axial"]').boundingBox())!;
    await wv.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    let n = await frames(wv);
    for (let i = 0; i < 3; i++) {
      await wv.page.mouse.wheel(0, -100);
      n = await nextFrame(wv, n);
    }
    await wv.page.keyboard.press('+');
    n = await nextFrame(wv, n);
    await wv.page.selectOption('#preset', 'bone');
    await wv.page.selectOption('#layout', 'coronal');
    await wv.page.waitForFunction(() => {
      const s = (window as unknown as { __state: { layout?: string; preset?: string } | null }).__state;
      return s?.layout === 'coronal' && s.preset === 'bone';
    });
    state = await wv.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  } finally {
    await wv.close();
  }
  const again = await openFile(file, state);
  try {
    assert.deepEqual(await cursor(again), [16, 16, 13]);
    assert.equal(await again.page.inputValue('#preset'), 'bone');
    assert.equal(await again.page.inputValue('#layout'), 'coronal');
    assert.equal(await again.page.locator('.view[data-view="axial"]').evaluate((e) => e.classList.contains('hidden')), true);
    const zoom = await again.page.evaluate(() => (window as unknown as { medstudioViewer: { state: { zoomPan: { axial: { zoom: number } } } } }).medstudioViewer.state.zoomPan.axial.zoom);
    assert.equal(zoom, 1.25);
  } finally {
    await again.close();
  }
});

test('screenshots match the stored references (UPDATE_SCREENSHOTS=1 regenerates them)', async () => {
  const dims: [number, number, number] = [48, 40, 24];
  const file = writeNifti('shot.nii.gz', { dims, data: phantom(dims), spacing: [1, 1, 2] });
  const wv = await openFile(file);
  try {
    const views = wv.page.locator('.views');
    // The help cell is text (font-dependent): masked, so the references compare the rendering.
    const shot = () => views.screenshot({ mask: [wv.page.locator('.view.help')] });
    matchScreenshot('viewer-grid', await shot());
    const heat = new Float32Array(dims[0] * dims[1] * dims[2]);
    for (let i = 0; i < heat.length; i++) heat[i] = (i % dims[0]) / dims[0];
    const n = await frames(wv);
    await send(wv, 'overlay', { id: 'h', kind: 'heatmap', name: 'gradient', heat: b64(heat), dims, final: true } satisfies OverlayMessage);
    await nextFrame(wv, n);
    matchScreenshot('viewer-heatmap', await shot());
  } finally {
    await wv.close();
  }
});
