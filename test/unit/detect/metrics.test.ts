/**
 * COCO-style detection metrics on hand-worked cases: what a perfect, a half-found and a
 * badly-ranked detector score, AP@[.5:.95] for a box that is right only at loose IoU, and recall
 * at a fixed number of false positives per image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision, detectionMetrics, iou, recallAtFppi, type ImageDetections } from '../../../server/src/metrics/detection';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);

test('IoU of equal, disjoint, half-overlapping and nested boxes', () => {
  close(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  close(iou([0, 0, 10, 10], [20, 20, 5, 5]), 0);
  close(iou([0, 0, 10, 10], [5, 0, 10, 10]), 50 / 150);
  close(iou([0, 0, 10, 10], [0, 0, 5, 5]), 25 / 100);
});

test('a detector that finds every lesion first scores AP 1 at every IoU and full recall without false positives', () => {
  const images: ImageDetections[] = [
    { truth: [[10, 10, 20, 20]], detections: [{ bbox: [10, 10, 20, 20], score: 0.9 }] },
    { truth: [[0, 0, 8, 8]], detections: [{ bbox: [0, 0, 8, 8], score: 0.8 }, { bbox: [30, 30, 5, 5], score: 0.1 }] },
  ];
  const m = detectionMetrics(images);
  close(m.ap50, 1);
  close(m.ap, 1);
  close(m.recall, 1);
  close(recallAtFppi(images, 0.125), 1, 'the false positive scores below both hits');
});

test('finding one of two lesions gives AP@0.5 = 51/101 (precision 1 up to recall 0.5 on COCO\'s 101 points)', () => {
  const images: ImageDetections[] = [
    { truth: [[10, 10, 20, 20]], detections: [{ bbox: [10, 10, 20, 20], score: 0.9 }] },
    { truth: [[0, 0, 8, 8]], detections: [] },
  ];
  close(averagePrecision(images, 0.5), 51 / 101);
});

test('a false positive ranked above the only hit halves precision everywhere: AP@0.5 = 0.5', () => {
  const images: ImageDetections[] = [{ truth: [[10, 10, 20, 20]], detections: [{ bbox: [40, 40, 5, 5], score: 0.9 }, { bbox: [10, 10, 20, 20], score: 0.5 }] }];
  close(averagePrecision(images, 0.5), 0.5);
  close(recallAtFppi(images, 0.5), 0, 'half a false positive per image allows none here');
  close(recallAtFppi(images, 1), 1);
});

test('a box right only at loose overlap counts up to IoU 0.65, not above: AP@[.5:.95] = 0.4', () => {
  // IoU 2/3 (100x100 truth, box shifted by 20 px): hits at thresholds 0.50, 0.55, 0.60 and 0.65.
  const images: ImageDetections[] = [{ truth: [[0, 0, 100, 100]], detections: [{ bbox: [20, 0, 100, 100], score: 0.7 }] }];
  close(iou([0, 0, 100, 100], [20, 0, 100, 100]), 2 / 3);
  const m = detectionMetrics(images);
  close(m.ap50, 1);
  close(m.ap75, 0);
  close(m.ap, 0.4, 'four thresholds of ten');
});

test('one detection cannot claim two lesions, and two detections of one lesion leave a false positive', () => {
  const images: ImageDetections[] = [{ truth: [[0, 0, 10, 10], [0, 0, 10, 10]], detections: [{ bbox: [0, 0, 10, 10], score: 0.9 }] }];
  close(detectionMetrics(images).recall, 0.5);
  const twice: ImageDetections[] = [{ truth: [[0, 0, 10, 10]], detections: [{ bbox: [0, 0, 10, 10], score: 0.9 }, { bbox: [0, 0, 10, 10], score: 0.8 }] }];
  close(averagePrecision(twice, 0.5), 1, 'the duplicate ranks after the hit');
  assert.equal(detectionMetrics(twice).detections, 2);
});

test('with no ground truth at all AP is undefined (NaN), not 0 or 1', () => {
  assert.ok(Number.isNaN(averagePrecision([{ truth: [], detections: [{ bbox: [0, 0, 1, 1], score: 1 }] }], 0.5)));
});
