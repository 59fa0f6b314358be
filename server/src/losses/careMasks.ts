/**
 * CARE's box masks (ALGORITHMS.md): the inner mask is 1/N on each of the N pixels inside the
 * box; the outer mask is start + delta * (distance to the box) on the pixels outside it,
 * normalised to sum 1 (delta 0, start 1: uniform, the reference's setting). A pixel belongs to
 * the box when its centre does; a box too small to hold a pixel centre gets the pixel under its
 * centre, so every box has an inner region.
 */

/** [x, y, width, height] in pixels of the (resized) network input. */
export type Box = [number, number, number, number];

export interface BoxMasks {
  inner: Float32Array;
  outer: Float32Array;
}

function insideFlags(box: Box, size: number): Uint8Array {
  const [x0, y0, w, h] = box;
  const flags = new Uint8Array(size * size);
  let n = 0;
  for (let y = 0; y < size; y++) {
    const cy = y + 0.5;
    if (cy < y0 || cy >= y0 + h) continue;
    for (let x = 0; x < size; x++) {
      const cx = x + 0.5;
      if (cx >= x0 && cx < x0 + w) {
        flags[y * size + x] = 1;
        n++;
      }
    }
  }
  if (n === 0) {
    const cx = Math.min(size - 1, Math.max(0, Math.floor(x0 + w / 2)));
    const cy = Math.min(size - 1, Math.max(0, Math.floor(y0 + h / 2)));
    flags[cy * size + cx] = 1;
  }
  return flags;
}

/** Euclidean distance from a pixel centre to the box (0 inside or on it). */
export function distanceToBox(px: number, py: number, box: Box): number {
  const [x0, y0, w, h] = box;
  const cx = px + 0.5;
  const cy = py + 0.5;
  const dx = Math.max(x0 - cx, 0, cx - (x0 + w));
  const dy = Math.max(y0 - cy, 0, cy - (y0 + h));
  return Math.hypot(dx, dy);
}

/** Inner and outer masks of one box on a size x size grid (row-major). */
export function boxMasks(box: Box, size: number, outerStart = 1, outerDelta = 0): BoxMasks {
  const flags = insideFlags(box, size);
  const inner = new Float32Array(size * size);
  const outer = new Float32Array(size * size);
  let nIn = 0;
  for (const f of flags) nIn += f;
  let outerSum = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      if (flags[i]) inner[i] = 1 / nIn;
      else {
        outer[i] = outerStart + outerDelta * distanceToBox(x, y, box);
        outerSum += outer[i]!;
      }
    }
  }
  if (outerSum > 0) for (let i = 0; i < outer.length; i++) outer[i]! /= outerSum;
  return { inner, outer };
}

/** Scales a box from an image of width x height pixels to a size x size input. */
export function scaleBox(box: Box, width: number, height: number, size: number): Box {
  const sx = size / width;
  const sy = size / height;
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
}
