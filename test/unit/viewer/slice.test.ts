import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSlice, type HeatmapLayer, type LabelLayer } from '../../../webviews/src/common/render/slice';
import { viewGeometry } from '../../../webviews/src/common/render/orientation';
import { colormapLut, labelColor } from '../../../webviews/src/common/render/colormap';
import { percentiles, type Volume } from '../../../webviews/src/common/render/volume';
import { autoWindow, CT_PRESETS, dragWindow, looksLikeCt, windowToByte } from '../../../webviews/src/common/render/window';
import { canvasToSlice, placeSlice, sliceToCanvas, zoomAt } from '../../../webviews/src/common/render/viewTransform';
import type { VolumeHeader } from '../../../server/src/protocol/viewer';

/** 3x2x2 volume, value = 100*k + 10*j + i, identity LPS. */
function tiny(frames = 1, slope = 1, intercept = 0): Volume {
  const dims: [number, number, number] = [3, 2, 2];
  const data = new Int16Array(12 * frames);
  let o = 0;
  for (let t = 0; t < frames; t++) for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) data[o++] = 1000 * t + 100 * k + 10 * j + i;
  const header: VolumeHeader = { dims, frames, components: 1, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], voxelType: 'int16', slope, intercept, meta: {} };
  return { header, data, name: 'tiny' };
}

const gray = colormapLut('gray');
const red = (img: { data: Uint8ClampedArray }) => Array.from(img.data.filter((_, i) => i % 4 === 0));

test('axial slice k=1 of an LPS volume: x to the right, y down, values windowed to gray', () => {
  const v = tiny();
  const g = viewGeometry(v.header, 'axial');
  // Window 100..120 maps 100 -> 0 and 120 -> 255.
  const img = renderSlice(v, g, 1, 0, { center: 110, width: 20 }, gray);
  assert.deepEqual([img.width, img.height], [3, 2]);
  assert.deepEqual(red(img), [0, 13, 26, 128, 140, 153].map((x) => x));
});

test('coronal slice puts superior at the top (k decreasing downwards)', () => {
  const v = tiny();
  const g = viewGeometry(v.header, 'coronal');
  const img = renderSlice(v, g, 0, 0, { center: 50, width: 100 }, gray); // 0..100
  // rows: k=1 (100..102 -> 255), then k=0 (0..2 -> ~0..5)
  assert.deepEqual(red(img), [255, 255, 255, 0, 3, 5]);
});

test('4D: frame 1 is drawn from its own voxels; slope/intercept give real values', () => {
  const v = tiny(2, 2, -10);
  const g = viewGeometry(v.header, 'axial');
  const img = renderSlice(v, g, 0, 1, { center: 2000 * 1 - 10 + 10, width: 40 }, gray);
  // real = 2*stored - 10; frame 1, k=0: stored 1000..1012 -> real 1990..2014; window 1980..2020
  assert.deepEqual(red(img), [64, 77, 89, 191, 204, 217]);
});

test('heatmap overlay on a coarser grid is resampled and thresholded; labels use their colours and toggles', () => {
  const v = tiny();
  const g = viewGeometry(v.header, 'axial');
  const heat: HeatmapLayer = { kind: 'heatmap', dims: [1, 1, 1], data: new Float32Array([1]), opacity: 1, threshold: 0.5, lut: colormapLut('red') };
  const img = renderSlice(v, g, 0, 0, { center: 1000, width: 1 }, gray, [heat]);
  assert.deepEqual(Array.from(img.data.slice(0, 4)), [255, 0, 0, 255]);
  const below = renderSlice(v, g, 0, 0, { center: 1000, width: 1 }, gray, [{ ...heat, threshold: 1.5 }]);
  assert.deepEqual(Array.from(below.data.slice(0, 4)), [0, 0, 0, 255]);
  const labels = new Uint8Array(12);
  labels[1] = 2;
  labels[2] = 3;
  const layer: LabelLayer = { kind: 'labels', dims: [3, 2, 2], data: labels, opacity: 1, colors: new Map([[2, labelColor(2)], [3, labelColor(3)]]), hidden: new Set([3]) };
  const li = renderSlice(v, g, 0, 0, { center: 1000, width: 1 }, gray, [layer]);
  assert.deepEqual(Array.from(li.data.slice(4, 7)), labelColor(2));
  assert.deepEqual(Array.from(li.data.slice(8, 11)), [0, 0, 0]); // label 3 hidden
});

test('window maths: presets, auto-window, drag, CT detection', () => {
  assert.deepEqual(CT_PRESETS.lung, { center: -600, width: 1500 });
  assert.deepEqual(Object.keys(CT_PRESETS).sort(), ['abdomen', 'bone', 'brain', 'lung', 'soft tissue']);
  assert.deepEqual(autoWindow(10, 110), { center: 60, width: 100 });
  const d = dragWindow({ center: 40, width: 400 }, 10, -20, 512);
  assert.deepEqual(d, { center: 20, width: 420 });
  assert.equal(dragWindow({ center: 0, width: 1 }, -1000, 0, 100).width > 0, true);
  assert.equal(looksLikeCt(undefined, -1024, 2000), true);
  assert.equal(looksLikeCt(undefined, 0, 800), false);
  assert.equal(looksLikeCt('MR', -1024, 2000), false);
  assert.equal(windowToByte({ center: 0, width: 100 }, -50), 0);
  assert.equal(windowToByte({ center: 0, width: 100 }, 50), 255);
});

test('percentiles come from the real values of one frame', () => {
  const v = tiny(2);
  assert.deepEqual(percentiles(v, [0, 100], 0), [0, 112]);
  assert.deepEqual(percentiles(v, [0, 100], 1), [1000, 1112]);
});

test('colormaps are 256 RGBA entries running from their first to last colour', () => {
  for (const name of ['gray', 'hot', 'viridis', 'inferno', 'jet', 'red', 'inverted'] as const) {
    const l = colormapLut(name);
    assert.equal(l.length, 1024);
    assert.equal(l[3], 255);
  }
  assert.deepEqual(Array.from(colormapLut('gray').slice(1020, 1023)), [255, 255, 255]);
  assert.deepEqual(Array.from(colormapLut('hot').slice(0, 3)), [0, 0, 0]);
});

test('placement keeps the physical aspect, and screen <-> slice conversions invert', () => {
  const p = placeSlice(200, 100, 10, 10, 1, 2, { zoom: 1, panX: 0, panY: 0 });
  // 10 x 20 mm in 200 x 100: height-limited, 5 px per mm.
  assert.deepEqual([p.scaleX, p.scaleY], [5, 10]);
  const c = sliceToCanvas(p, 3, 4);
  assert.deepEqual(canvasToSlice(p, c.x, c.y), { u: 3, v: 4 });
  // Zooming at a point keeps that point fixed.
  const zp = zoomAt({ zoom: 1, panX: 0, panY: 0 }, 2, 150, 30, 200, 100);
  const p2 = placeSlice(200, 100, 10, 10, 1, 2, zp);
  const before = canvasToSlice(p, 150, 30);
  const after = canvasToSlice(p2, 150, 30);
  assert.ok(Math.abs(before.u - after.u) < 1e-9 && Math.abs(before.v - after.v) < 1e-9);
});
