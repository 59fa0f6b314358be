/**
 * CenterNet targets and decoding: the targets of a box, decoded as if the network had predicted
 * them exactly, give the box back; peaks are local maxima; NMS keeps the best of overlapping
 * boxes; boxes come back in the image's own pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBoxes, nms, toImagePixels } from '../../../server/src/methods/detect/decode';
import { centerTargets, gaussianRadius } from '../../../server/src/methods/detect/targets';

const D = { stride: 8, inputSize: 64, scoreThreshold: 0.05, nmsIou: 0.5, maxDetections: 10 };

test('perfect head outputs decode to the very boxes the targets were made from', () => {
  const boxes = [
    [5.5, 7.25, 20, 14] as const,
    [40, 36, 17.5, 22] as const,
  ];
  const t = centerTargets(boxes, 8, 8);
  assert.equal(t.mask.reduce((a, b) => a + b, 0), 2);
  assert.equal(Math.max(...t.heat), 1);
  const out = decodeBoxes({ size: 8, heat: t.heat, wh: t.wh, offset: t.offset }, D);
  assert.equal(out.length, 2, JSON.stringify(out));
  const got = out.map((b) => b.bbox.map((v) => Math.round(v * 1000) / 1000)).sort((a, b) => a[0]! - b[0]!);
  assert.deepEqual(got, [[5.5, 7.25, 20, 14], [40, 36, 17.5, 22]]);
  assert.ok(out.every((b) => b.score === 1));
});

test('the Gaussian around a centre stays below 1 off-centre and grows with the box', () => {
  assert.ok(gaussianRadius(4, 4) > gaussianRadius(1, 1));
  const t = centerTargets([[24, 24, 32, 32]], 8, 8);
  const centre = 5 * 8 + 5;
  assert.equal(t.heat[centre], 1);
  assert.ok(t.heat[centre - 1]! > 0 && t.heat[centre - 1]! < 1);
});

test('only local maxima above the threshold become boxes, and boxes are clipped to the input', () => {
  const heat = new Float32Array(64);
  heat[0] = 0.9;
  heat[1] = 0.8; // next to a higher cell: not a peak
  heat[63] = 0.04; // below the threshold
  const wh = new Float32Array(128).fill(4);
  const offset = new Float32Array(128).fill(0.5);
  const out = decodeBoxes({ size: 8, heat, wh, offset }, D);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.bbox, [0, 0, 20, 20], 'a 32 px box centred at (4, 4) keeps its part inside the image');
});

test('NMS keeps the higher-scoring of two overlapping boxes and both of two apart', () => {
  const kept = nms(
    [
      { bbox: [0, 0, 10, 10], score: 0.6 },
      { bbox: [1, 1, 10, 10], score: 0.9 },
      { bbox: [30, 30, 10, 10], score: 0.3 },
    ],
    0.5,
  );
  assert.deepEqual(kept.map((b) => b.score), [0.9, 0.3]);
});

test('boxes scale from the square input back to a non-square image', () => {
  assert.deepEqual(toImagePixels([{ bbox: [8, 16, 32, 8], score: 0.5 }], 64, 128, 32)[0]!.bbox, [16, 8, 64, 4]);
});
