/**
 * Draws the current image and its boxes on the canvas: a person's boxes solid, suggested boxes
 * dashed with their source and score, the selected box with resize handles, the box being
 * drawn as a thin outline.
 */
import { isPendingSuggestion, type CocoAnnotation, type CocoBBox, type CocoCategory, type CocoImage } from '../../../server/src/formats/coco';
import { HANDLE_RADIUS, HANDLES, handlePoint, toCanvas, type View } from './geometry';

/** Distinct, readable on dark and light themes; indexed by category position. */
const PALETTE = ['#4fc3f7', '#ff8a65', '#aed581', '#f06292', '#ffd54f', '#9575cd', '#4db6ac', '#e57373', '#90a4ae'];

export function categoryColour(categories: readonly CocoCategory[], id: number): string {
  const i = categories.findIndex((c) => c.id === id);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length]!;
}

export interface Scene {
  image: CocoImage;
  bitmap: CanvasImageSource | null;
  /** Why the image is missing (shown on the placeholder). */
  imageError?: string;
  boxes: CocoAnnotation[];
  categories: CocoCategory[];
  selected: number | null;
  /** A box being drawn, moved or resized (image pixels), replacing the selected one's outline. */
  draft: CocoBBox | null;
  view: View;
}

export function renderScene(ctx: CanvasRenderingContext2D, cw: number, ch: number, s: Scene): void {
  ctx.clearRect(0, 0, cw, ch);
  const { view: v, image } = s;
  const [x0, y0] = toCanvas(v, 0, 0);
  const w = image.width * v.scale;
  const h = image.height * v.scale;
  if (s.bitmap) {
    ctx.imageSmoothingEnabled = v.scale < 2; // show pixels as pixels when zoomed in
    ctx.drawImage(s.bitmap, x0, y0, w, h);
  } else {
    ctx.fillStyle = '#3a3a3a';
    ctx.fillRect(x0, y0, w, h);
    ctx.fillStyle = '#bbb';
    ctx.font = '12px sans-serif';
    ctx.fillText(s.imageError ?? 'loading image…', x0 + 6, y0 + 16, Math.max(40, w - 12));
  }
  ctx.strokeStyle = 'rgba(128,128,128,0.6)';
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(x0 - 0.5, y0 - 0.5, w + 1, h + 1);

  for (const a of s.boxes) {
    const bbox = a.id === s.selected && s.draft ? s.draft : a.bbox;
    drawBox(ctx, v, bbox, a, categoryColour(s.categories, a.category_id), s.categories, a.id === s.selected);
  }
  if (s.draft && s.selected === null) {
    ctx.setLineDash([2, 2]);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1;
    const [dx, dy] = toCanvas(v, s.draft[0], s.draft[1]);
    ctx.strokeRect(dx, dy, s.draft[2] * v.scale, s.draft[3] * v.scale);
    ctx.setLineDash([]);
  }
}

function drawBox(ctx: CanvasRenderingContext2D, v: View, b: CocoBBox, a: CocoAnnotation, colour: string, categories: readonly CocoCategory[], selected: boolean): void {
  const [x, y] = toCanvas(v, b[0], b[1]);
  const w = b[2] * v.scale;
  const h = b[3] * v.scale;
  const suggested = isPendingSuggestion(a);
  ctx.strokeStyle = colour;
  ctx.lineWidth = selected ? 2.5 : 1.5;
  ctx.setLineDash(suggested ? [6, 4] : []);
  ctx.strokeRect(x, y, w, h);
  ctx.setLineDash([]);
  const name = categories.find((c) => c.id === a.category_id)?.name ?? `#${a.category_id}`;
  // An accepted detector box still shows what the model scored it.
  const label = suggested || a.accepted ? `${name} · ${a.source} ${(a.score ?? 0).toFixed(2)}` : name;
  ctx.font = '11px sans-serif';
  const tw = ctx.measureText(label).width + 6;
  const ly = y >= 15 ? y - 15 : y + h;
  ctx.fillStyle = colour;
  ctx.globalAlpha = suggested ? 0.7 : 0.9;
  ctx.fillRect(x, ly, tw, 14);
  ctx.globalAlpha = 1;
  ctx.fillStyle = '#000';
  ctx.fillText(label, x + 3, ly + 11);
  if (!selected) return;
  for (const hd of HANDLES) {
    const [hx, hy] = handlePoint(v, b, hd);
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    ctx.fillRect(hx - HANDLE_RADIUS, hy - HANDLE_RADIUS, 2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS);
    ctx.strokeRect(hx - HANDLE_RADIUS, hy - HANDLE_RADIUS, 2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS);
  }
}
