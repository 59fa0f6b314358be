/**
 * Box detection metrics, as COCO's evaluation defines them (one class, every box size): AP at an
 * IoU threshold is the area under the precision/recall curve sampled at 101 recall points, with
 * precision made monotone; AP@[.5:.95] averages AP over IoU 0.50, 0.55, ..., 0.95. Detections are
 * matched to ground truth greedily by descending score, each to the unmatched box it overlaps most.
 * Recall at fixed false positives per image is FROC's operating point (LUNA16 style).
 */

/** [x, y, w, h] in pixels. */
export type Box = readonly [number, number, number, number];

export interface ScoredBox {
  bbox: Box;
  score: number;
}

/** One image: its ground-truth boxes and the detector's boxes. */
export interface ImageDetections {
  truth: readonly Box[];
  detections: readonly ScoredBox[];
}

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Every detection of every image with whether it matched a ground-truth box, best score first. */
function matchAll(images: readonly ImageDetections[], threshold: number): { score: number; hit: boolean }[] {
  const out: { score: number; hit: boolean }[] = [];
  for (const im of images) {
    const used = new Array<boolean>(im.truth.length).fill(false);
    const order = [...im.detections].sort((a, b) => b.score - a.score);
    for (const d of order) {
      let best = -1;
      let bestIou = threshold;
      im.truth.forEach((t, j) => {
        if (used[j]) return;
        const v = iou(d.bbox, t);
        if (v >= bestIou) {
          bestIou = v;
          best = j;
        }
      });
      if (best >= 0) used[best] = true;
      out.push({ score: d.score, hit: best >= 0 });
    }
  }
  // Stable: equal scores keep image order, as COCO's mergesort does.
  return out.map((m, i) => ({ m, i })).sort((a, b) => b.m.score - a.m.score || a.i - b.i).map((x) => x.m);
}

function truthCount(images: readonly ImageDetections[]): number {
  return images.reduce((n, im) => n + im.truth.length, 0);
}

/** COCO's AP at one IoU threshold (101-point interpolation); NaN when there is no ground truth. */
export function averagePrecision(images: readonly ImageDetections[], threshold: number): number {
  const total = truthCount(images);
  if (!total) return NaN;
  const matches = matchAll(images, threshold);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  matches.forEach((m, i) => {
    if (m.hit) tp++;
    recall.push(tp / total);
    precision.push(tp / (i + 1));
  });
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let sum = 0;
  let k = 0;
  for (let r = 0; r <= 100; r++) {
    const target = r / 100;
    while (k < recall.length && recall[k]! < target - 1e-12) k++;
    sum += k < precision.length ? precision[k]! : 0;
  }
  return sum / 101;
}

export const COCO_IOUS: readonly number[] = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);

/** Recall at IoU `threshold` when at most `fppi` false positives per image are allowed (the lowest score cut that stays within it). */
export function recallAtFppi(images: readonly ImageDetections[], fppi: number, threshold = 0.5): number {
  const total = truthCount(images);
  if (!total || !images.length) return NaN;
  const allowed = fppi * images.length;
  let tp = 0;
  let fp = 0;
  let best = 0;
  const matches = matchAll(images, threshold);
  for (let i = 0; i < matches.length; i++) {
    if (matches[i]!.hit) tp++;
    else fp++;
    // Only cut between distinct scores: a threshold keeps all boxes with the same score or none.
    const next = matches[i + 1];
    if (next && next.score === matches[i]!.score) continue;
    if (fp <= allowed) best = tp / total;
  }
  return best;
}

export const FPPI_POINTS: readonly number[] = [0.125, 0.25, 0.5, 1, 2];

export interface DetectionMetrics {
  ap50: number;
  ap75: number;
  /** COCO's AP@[.5:.95]. */
  ap: number;
  /** Recall at IoU 0.5 with every box kept (the ceiling of the curve). */
  recall: number;
  /** Recall at IoU 0.5 at each FPPI_POINTS value, keyed `recall@<fppi>fppi`. */
  recallAtFppi: Record<string, number>;
  images: number;
  truthBoxes: number;
  detections: number;
}

export function detectionMetrics(images: readonly ImageDetections[]): DetectionMetrics {
  const aps = COCO_IOUS.map((t) => averagePrecision(images, t));
  const total = truthCount(images);
  const hits = matchAll(images, 0.5).filter((m) => m.hit).length;
  return {
    ap50: aps[0]!,
    ap75: aps[5]!,
    ap: aps.reduce((a, b) => a + b, 0) / aps.length,
    recall: total ? hits / total : NaN,
    recallAtFppi: Object.fromEntries(FPPI_POINTS.map((f) => [`recall@${f}fppi`, recallAtFppi(images, f)])),
    images: images.length,
    truthBoxes: total,
    detections: images.reduce((n, im) => n + im.detections.length, 0),
  };
}
