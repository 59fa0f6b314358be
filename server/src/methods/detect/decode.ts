/**
 * Heatmap -> boxes, as CenterNet decodes: a cell is a peak when its score is the largest in its
 * 3x3 neighbourhood; the top peaks become boxes centred at cell + offset with the predicted size
 * (both in feature cells), scaled by the stride to input pixels. Then greedy box NMS, which
 * CenterNet's peak test makes nearly redundant but which catches two peaks on one large lesion.
 */
import { iou, type Box, type ScoredBox } from '../../metrics/detection';

export interface DecodeOptions {
  /** Input pixels per feature cell. */
  stride: number;
  /** Input side length (boxes are clipped to it). */
  inputSize: number;
  scoreThreshold: number;
  nmsIou: number;
  maxDetections: number;
}

/** One image's head outputs, row-major [f, f] / [f, f, 2]; `heat` already through the sigmoid. */
export interface HeadMaps {
  size: number;
  heat: Float32Array;
  wh: Float32Array;
  offset: Float32Array;
}

export function decodeBoxes(m: HeadMaps, o: DecodeOptions): ScoredBox[] {
  const f = m.size;
  const peaks: { i: number; score: number }[] = [];
  for (let y = 0; y < f; y++) {
    for (let x = 0; x < f; x++) {
      const i = y * f + x;
      const s = m.heat[i]!;
      if (!(s >= o.scoreThreshold)) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if ((dx || dy) && yy >= 0 && yy < f && xx >= 0 && xx < f && m.heat[yy * f + xx]! > s) {
            peak = false;
            break;
          }
        }
      if (peak) peaks.push({ i, score: s });
    }
  }
  peaks.sort((a, b) => b.score - a.score || a.i - b.i);
  const boxes: ScoredBox[] = [];
  for (const p of peaks.slice(0, o.maxDetections * 4)) {
    const cx = (p.i % f) + m.offset[p.i * 2]!;
    const cy = Math.floor(p.i / f) + m.offset[p.i * 2 + 1]!;
    const w = Math.max(0, m.wh[p.i * 2]!);
    const h = Math.max(0, m.wh[p.i * 2 + 1]!);
    const b = clip([(cx - w / 2) * o.stride, (cy - h / 2) * o.stride, w * o.stride, h * o.stride], o.inputSize);
    if (b) boxes.push({ bbox: b, score: p.score });
  }
  return nms(boxes, o.nmsIou).slice(0, o.maxDetections);
}

/** The part of a box inside [0, size]^2, or undefined when under a tenth of a pixel remains. */
function clip(b: Box, size: number): Box | undefined {
  const x0 = Math.max(0, b[0]);
  const y0 = Math.max(0, b[1]);
  const x1 = Math.min(size, b[0] + b[2]);
  const y1 = Math.min(size, b[1] + b[3]);
  return x1 - x0 > 0.1 && y1 - y0 > 0.1 ? [x0, y0, x1 - x0, y1 - y0] : undefined;
}

/** Greedy non-maximum suppression: best score first, dropping boxes that overlap a kept one by more than `threshold`. */
export function nms(boxes: readonly ScoredBox[], threshold: number): ScoredBox[] {
  const order = [...boxes].sort((a, b) => b.score - a.score);
  const kept: ScoredBox[] = [];
  for (const b of order) if (kept.every((k) => iou(k.bbox, b.bbox) <= threshold)) kept.push(b);
  return kept;
}

/** Boxes from input pixels to the original image's pixels. */
export function toImagePixels(boxes: readonly ScoredBox[], inputSize: number, width: number, height: number): ScoredBox[] {
  const sx = width / inputSize;
  const sy = height / inputSize;
  return boxes.map((b) => ({ score: b.score, bbox: [b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy] }));
}
