/**
 * The shortcut-lesions sample: a sample where attention to the lesion should matter. Each
 * 32x32 image holds one brown lesion over textured skin. The class's true signal is inside the
 * lesion: a malignant lesion has a blue-grey veil, a benign one a darker brown patch of the same
 * size (so "a patch" alone says nothing; its hue does). A spurious cue lies outside the lesion's
 * box: a small green ink mark in a free corner, on 90% of the malignant and 5% of the benign
 * training images but on 30% of every class in val and test. A model that learns "green mark =>
 * malignant" is caught out on test (missed unmarked malignant lesions, marked benign ones called
 * malignant); CARE's attention loss pushes the malignant class's Grad-CAM inside the box.
 *
 * The odds and looks were set once, before any training on the sample; the demo reports what
 * the models do with them (never tuned to a result).
 */
import type { Rng } from '../../server/src/transforms/rng';
import { clamp01, fractalNoise, mix, Raster, type Rgb } from './raster';

export const SHORTCUT_CLASSES = ['benign', 'malignant'] as const;
export type ShortcutClass = (typeof SHORTCUT_CLASSES)[number];
export const SHORTCUT_COUNTS: Record<ShortcutClass, number> = { benign: 300, malignant: 40 };
export const SHORTCUT_SIZE = 32;

/** How likely the green ink mark is, by class and split: a training-only shortcut. */
export function inkMarkOdds(cls: ShortcutClass, split: 'train' | 'val' | 'test'): number {
  if (split !== 'train') return 0.3;
  return cls === 'malignant' ? 0.9 : 0.05;
}

export interface ShortcutImage {
  rgba: Uint8Array;
  /** Tight box of the lesion (opacity >= 0.5): [x, y, w, h]. */
  bbox: [number, number, number, number];
  inkMark: boolean;
}

const TONES: Rgb[] = [
  [0.92, 0.76, 0.66],
  [0.84, 0.66, 0.54],
  [0.74, 0.55, 0.42],
];
const INK: Rgb = [0.12, 0.62, 0.28];
const VEIL: Rgb = [0.36, 0.42, 0.56];

function ellipse(size: number, cx: number, cy: number, rx: number, ry: number, theta: number, edge: number): Float32Array {
  const m = new Float32Array(size * size);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * c + dy * s) / rx;
      const v = (-dx * s + dy * c) / ry;
      m[y * size + x] = clamp01(((1 - Math.hypot(u, v)) * Math.min(rx, ry)) / edge + 0.5);
    }
  }
  return m;
}

export function renderShortcutImage(rng: Rng, cls: ShortcutClass, split: 'train' | 'val' | 'test'): ShortcutImage {
  const size = SHORTCUT_SIZE;
  const r = new Raster(size, size);
  const tone = mix(rng.pick(TONES), rng.pick(TONES), rng.next());
  const blotch = fractalNoise(rng, size, size, [8, 4]);
  for (let i = 0; i < size * size; i++) for (let k = 0; k < 3; k++) r.px[i * 3 + k] = tone[k]! * (1 + 0.08 * blotch[i]!);

  // The lesion: a soft brown ellipse, 5-8 px radius, anywhere it fits.
  const radius = rng.uniform(5, 8);
  const aspect = rng.uniform(0.75, 1);
  const cx = rng.uniform(radius + 2, size - radius - 2);
  const cy = rng.uniform(radius + 2, size - radius - 2);
  const lesion = ellipse(size, cx, cy, radius, radius * aspect, rng.uniform(0, Math.PI), 1.2);
  const brown: Rgb = [rng.uniform(0.4, 0.52), rng.uniform(0.25, 0.32), rng.uniform(0.14, 0.2)];
  const shade = fractalNoise(rng, size, size, [4, 2]);
  for (let i = 0; i < size * size; i++) if (lesion[i]! > 0) r.blend(i % size, Math.floor(i / size), brown.map((v) => v * (1 + 0.1 * shade[i]!)) as Rgb, lesion[i]! * 0.95);

  // The class signal, inside the lesion: a patch of half to two thirds of its radius, off centre.
  const pr = radius * rng.uniform(0.5, 0.65);
  const off = rng.uniform(0, radius - pr);
  const phi = rng.uniform(0, 2 * Math.PI);
  const patch = ellipse(size, cx + off * Math.cos(phi), cy + off * Math.sin(phi), pr, pr * rng.uniform(0.8, 1), rng.uniform(0, Math.PI), 1);
  const colour: Rgb = cls === 'malignant' ? VEIL : [brown[0] * 0.6, brown[1] * 0.6, brown[2] * 0.6];
  const opacity = rng.uniform(0.2, 0.35);
  for (let i = 0; i < size * size; i++) if (patch[i]! > 0 && lesion[i]! > 0) r.blend(i % size, Math.floor(i / size), colour, patch[i]! * lesion[i]! * opacity);

  let [x0, y0, x1, y1] = [size, size, -1, -1];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (lesion[y * size + x]! < 0.5) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }

  // The spurious cue, outside the lesion's box: a 3x3 ink mark in a corner the box leaves free.
  const inkMark = rng.chance(inkMarkOdds(cls, split));
  if (inkMark) {
    const corners = ([[1, 1], [size - 5, 1], [1, size - 5], [size - 5, size - 5]] as const).filter(([x, y]) => x + 4 < x0 - 1 || x > x1 + 1 || y + 4 < y0 - 1 || y > y1 + 1);
    // A lesion of radius <= 8 in a 32 px image always leaves a corner free.
    if (!corners.length) throw new Error('no corner outside the lesion box for the ink mark');
    const [mx, my] = rng.pick(corners);
    const dx = rng.int(2);
    const dy = rng.int(2);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) r.blend(mx + dx + x, my + dy + y, INK, 0.9);
  }

  // Exposure of the camera.
  const gain = rng.uniform(0.92, 1.06);
  for (let i = 0; i < r.px.length; i++) r.px[i] = r.px[i]! * gain;
  return { rgba: r.toRgba(), bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], inkMark };
}
