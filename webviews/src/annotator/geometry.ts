/**
 * The annotator's pointer geometry, pure so unit tests cover it: the view transform between
 * image pixels and canvas pixels, hit testing of boxes and their handles, and what a drag does
 * to a box.
 */
import type { CocoBBox } from '../../../server/src/formats/coco';

/** canvas = image * scale + offset (CSS pixels of the canvas). */
export interface View {
  scale: number;
  ox: number;
  oy: number;
}

export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];
/** Half the side of a handle square, in canvas pixels (big enough to grab at any zoom). */
export const HANDLE_RADIUS = 5;

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 64;

export function toImage(v: View, x: number, y: number): [number, number] {
  return [(x - v.ox) / v.scale, (y - v.oy) / v.scale];
}

export function toCanvas(v: View, x: number, y: number): [number, number] {
  return [x * v.scale + v.ox, y * v.scale + v.oy];
}

/** The view that shows a w x h image whole and centred in a canvas of cw x ch, with a margin. */
export function fitView(w: number, h: number, cw: number, ch: number, margin = 16): View {
  const scale = Math.max(MIN_SCALE, Math.min((cw - 2 * margin) / w, (ch - 2 * margin) / h, MAX_SCALE));
  return { scale, ox: (cw - w * scale) / 2, oy: (ch - h * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under canvas point (x, y) where it is. */
export function zoomAt(v: View, factor: number, x: number, y: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
  const f = scale / v.scale;
  return { scale, ox: x - (x - v.ox) * f, oy: y - (y - v.oy) * f };
}

/** Canvas position of a handle of a box. */
export function handlePoint(v: View, b: CocoBBox, h: Handle): [number, number] {
  const [x0, y0] = toCanvas(v, b[0], b[1]);
  const [x1, y1] = toCanvas(v, b[0] + b[2], b[1] + b[3]);
  const xm = (x0 + x1) / 2;
  const ym = (y0 + y1) / 2;
  const x = h.includes('w') ? x0 : h.includes('e') ? x1 : xm;
  const y = h.startsWith('n') ? y0 : h.startsWith('s') ? y1 : ym;
  return [x, y];
}

export type Hit = { id: number; part: Handle | 'inside' } | null;

/**
 * What is under canvas point (x, y): a handle of the selected box first, then the smallest box
 * containing the point (so a small box inside a big one stays reachable).
 */
export function hitTest(v: View, boxes: readonly { id: number; bbox: CocoBBox }[], selected: number | null, x: number, y: number): Hit {
  const sel = boxes.find((b) => b.id === selected);
  if (sel) {
    for (const h of HANDLES) {
      const [hx, hy] = handlePoint(v, sel.bbox, h);
      if (Math.abs(x - hx) <= HANDLE_RADIUS + 1 && Math.abs(y - hy) <= HANDLE_RADIUS + 1) return { id: sel.id, part: h };
    }
  }
  const [ix, iy] = toImage(v, x, y);
  let best: { id: number; area: number } | null = null;
  for (const b of boxes) {
    const [bx, by, bw, bh] = b.bbox;
    if (ix >= bx && ix <= bx + bw && iy >= by && iy <= by + bh && (!best || bw * bh < best.area)) best = { id: b.id, area: bw * bh };
  }
  return best ? { id: best.id, part: 'inside' } : null;
}

/** The box after dragging `part` by (dx, dy) image pixels; edges may cross (normalised). */
export function dragBox(b: CocoBBox, part: Handle | 'inside', dx: number, dy: number): CocoBBox {
  if (part === 'inside') return [b[0] + dx, b[1] + dy, b[2], b[3]];
  let x0 = b[0];
  let y0 = b[1];
  let x1 = b[0] + b[2];
  let y1 = b[1] + b[3];
  if (part.includes('w')) x0 += dx;
  if (part.includes('e')) x1 += dx;
  if (part.startsWith('n')) y0 += dy;
  if (part.startsWith('s')) y1 += dy;
  return normalise([x0, y0, x1 - x0, y1 - y0]);
}

/** Positive width and height, whichever way the box was drawn. */
export function normalise(b: CocoBBox): CocoBBox {
  return [Math.min(b[0], b[0] + b[2]), Math.min(b[1], b[1] + b[3]), Math.abs(b[2]), Math.abs(b[3])];
}

/** A moved box kept whole inside the image (moving should not shrink it). */
export function keepInside(b: CocoBBox, w: number, h: number): CocoBBox {
  const x = Math.min(Math.max(b[0], 0), Math.max(0, w - b[2]));
  const y = Math.min(Math.max(b[1], 0), Math.max(0, h - b[3]));
  return [x, y, b[2], b[3]];
}

/** The box spanned by two image points (a drag), normalised. */
export function boxFromPoints(a: [number, number], b: [number, number]): CocoBBox {
  return normalise([a[0], a[1], b[0] - a[0], b[1] - a[1]]);
}

/** CSS cursor for a hit. */
export function cursorFor(hit: Hit): string {
  if (!hit) return 'crosshair';
  if (hit.part === 'inside') return 'move';
  return { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' }[hit.part];
}
