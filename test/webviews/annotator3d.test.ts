/**
 * 3D boxes on a volume (.mrk.json) in headless Chromium: a box drawn on one axial slice gets a
 * default depth, shows in the coronal and sagittal views, and its depth is dragged there; the
 * saved file is a 3D Slicer ROI file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { parseSlicerRoi, roiToVoxelBox } from '../../server/src/formats/slicerRoi';
import type { ImageGeometry } from '../../server/src/formats/geometry';
import { viewGeometry, voxelToView, type ViewName } from '../../webviews/src/common/render/orientation';
import { projectBox } from '../../webviews/src/annotator/volumeBoxes';
import type { RoiIntent } from '../../server/src/protocol';
import { launchBrowser } from './harness';
import { openAnnotator, type AnnotatorPage } from './annotatorPage';
import { cleanFixtures, phantom, rel, writeNifti } from './viewerFixtures';

const DIMS: [number, number, number] = [24, 20, 16];
const HEADER = { dims: DIMS, spacing: [1, 1, 2] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as ImageGeometry['direction'] };
const GEOM: ImageGeometry = { origin: HEADER.origin, spacing: HEADER.spacing, direction: HEADER.direction };
const EMPTY = '{ "markups": [] }\n';
const EXPECTED = path.join(__dirname, 'annotator-fixtures', 'after-3d.mrk.json');
const SHOTS = process.env.MEDSTUDIO_SCREENSHOTS ?? path.join(os.tmpdir(), 'medstudio-screenshots');

let browser: Browser;
let volumePath: string;
before(async () => {
  browser = await launchBrowser();
  volumePath = writeNifti('annotator-ct.nii', { dims: DIMS, data: phantom(DIMS), spacing: HEADER.spacing });
});
after(async () => {
  await browser?.close();
  cleanFixtures();
});

/** Page coordinates of a slice position (u, v; pixel centres on integers, edges on .5) in a view. */
async function viewPoint(a: AnnotatorPage, view: ViewName, u: number, v: number): Promise<[number, number]> {
  const c = a.wv.page.locator(`canvas[data-view="${view}"]`);
  const d = await c.evaluate((el: HTMLCanvasElement) => {
    const r = el.getBoundingClientRect();
    return { x: r.left, y: r.top, left: Number(el.dataset.left), top: Number(el.dataset.top), sx: Number(el.dataset.scaleX), sy: Number(el.dataset.scaleY) };
  });
  return [d.x + d.left + (u + 0.5) * d.sx, d.y + d.top + (v + 0.5) * d.sy];
}

async function dragIn(a: AnnotatorPage, view: ViewName, from: [number, number], to: [number, number]): Promise<void> {
  const p = await viewPoint(a, view, ...from);
  const q = await viewPoint(a, view, ...to);
  await a.wv.page.mouse.move(p[0], p[1]);
  await a.wv.page.mouse.down();
  await a.wv.page.mouse.move(q[0], q[1], { steps: 4 });
  await a.wv.page.mouse.up();
}

async function roiEdits(a: AnnotatorPage, n: number): Promise<RoiIntent[]> {
  await a.wv.page.waitForFunction(
    (count) => (window as unknown as { __posted: { kind: string; method?: string }[] }).__posted.filter((m) => m.kind === 'request' && m.method === 'editRoi').length >= count,
    n,
  );
  const want = String(a.session.state().version);
  await a.wv.page.waitForFunction((v) => document.querySelector<HTMLElement>('.root.volume')?.dataset.version === v, want);
  return (await a.wv.posted()).flatMap((m) => (m.kind === 'request' && m.method === 'editRoi' ? [m.params as RoiIntent] : []));
}

test('a 3D box drawn on one slice gets a depth range, shows in all three views and its depth is dragged in another', async () => {
  let saved: unknown;
  const a = await openAnnotator(browser, EMPTY, { fileName: 'ct.mrk.json', volume: { kind: 'nifti', url: rel(volumePath), name: 'ct.nii' }, width: 1200, height: 520 });
  try {
    const { page } = a.wv;
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.root.volume')?.dataset.ready === '1');
    assert.equal(await page.locator('.root.volume').getAttribute('data-cursor'), '12,10,8', 'the crosshair starts in the middle');

    // Axial slice k=8: drag from voxel (5, 4) to (12, 10).
    const axial = viewGeometry(HEADER, 'axial');
    const s = voxelToView(axial, [5, 4, 8]);
    const e = voxelToView(axial, [12, 10, 8]);
    await dragIn(a, 'axial', [s.u, s.v], [e.u, e.v]);
    await roiEdits(a, 1);
    let box = roiToVoxelBox(a.session.state().rois![0]!, GEOM);
    assert.deepEqual(box, { min: [4.5, 3.5, 5.5], max: [12.5, 10.5, 10.5] }, 'whole voxels, slices 6..10');

    // The coronal view (slice j=10) cuts the box: drag its top edge two slices up (k to 12).
    const coronal = viewGeometry(HEADER, 'coronal');
    const r = projectBox(coronal, box);
    await dragIn(a, 'coronal', [(r.u0 + r.u1) / 2, r.v0], [(r.u0 + r.u1) / 2, r.v0 - 2]);
    await roiEdits(a, 2);
    box = roiToVoxelBox(a.session.state().rois![0]!, GEOM);
    assert.deepEqual(box, { min: [4.5, 3.5, 5.5], max: [12.5, 10.5, 12.5] });
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'annotator-3d.png') });

    // The wheel steps the axial slice; Delete removes the selected box, undo brings it back.
    await page.mouse.move(...(await viewPoint(a, 'axial', 2, 2)));
    await page.mouse.wheel(0, 100);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.root.volume')?.dataset.cursor === '12,10,9');
    await page.keyboard.press('Delete');
    await roiEdits(a, 3);
    assert.equal(a.session.state().rois?.length, 0);
    a.undo();
    assert.deepEqual((await roiEdits(a, 3)).map((i) => i.kind), ['putRoi', 'putRoi', 'deleteRois']);
    // PageDown steps the view last used (axial, after the wheel).
    await page.keyboard.press('PageDown');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.root.volume')?.dataset.cursor === '12,10,10');
    // + zooms that view, right-drag pans it, 0 fits it again.
    const scale = () => page.locator('canvas[data-view="axial"]').evaluate((c: HTMLCanvasElement) => Number(c.dataset.scaleX));
    const fitted = await scale();
    await page.keyboard.press('+');
    await page.waitForFunction((f) => Number(document.querySelector<HTMLCanvasElement>('canvas[data-view="axial"]')!.dataset.scaleX) > f * 1.2, fitted);
    const left = () => page.locator('canvas[data-view="axial"]').evaluate((c: HTMLCanvasElement) => Number(c.dataset.left));
    const before = await left();
    const [px, py] = await viewPoint(a, 'axial', 3, 3);
    await page.mouse.move(px, py);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(px + 30, py, { steps: 3 });
    await page.mouse.up({ button: 'right' });
    assert.ok(Math.abs((await left()) - before - 30) < 1, 'panned 30 px right');
    await page.keyboard.press('0');
    assert.equal(await scale(), fitted);
    saved = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    const text = a.session.serialize();
    assert.equal(parseSlicerRoi(text)[0]?.label, 'R-1');
    assert.equal(text, fs.readFileSync(EXPECTED, 'utf8'));
  } finally {
    await a.close();
  }
  // A reload (VS Code re-creating the webview) comes back at the same crosshair.
  const b = await openAnnotator(browser, EMPTY, { fileName: 'ct.mrk.json', volume: { kind: 'nifti', url: rel(volumePath), name: 'ct.nii' }, width: 1200, height: 520, state: saved });
  try {
    await b.wv.page.waitForFunction(() => document.querySelector<HTMLElement>('.root.volume')?.dataset.ready === '1');
    assert.equal(await b.wv.page.locator('.root.volume').getAttribute('data-cursor'), '12,10,10');
  } finally {
    await b.close();
  }
});
