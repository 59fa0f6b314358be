/**
 * Synthetic dermoscopy-like images: a lesion whose colour, shape, border and texture depend on
 * its class, over textured skin, with confounders a model can cheat from (hair, a ruler,
 * vignetting). The ruler is correlated with melanoma in the training split only, so a model
 * that learns "ruler => melanoma" is caught out on val/test.
 */
import type { Rng } from '../../server/src/transforms/rng';
import { clamp01, fractalNoise, mix, Raster, strokePolyline, valueNoise, type Rgb } from './raster';

export const SKIN_CLASSES = ['nevus', 'keratosis', 'melanoma', 'carcinoma', 'vascular'] as const;
export type SkinClass = (typeof SKIN_CLASSES)[number];

/** Images per class: strongly imbalanced; carcinoma and vascular are the rare classes (<= 5%). */
export const SKIN_COUNTS: Record<SkinClass, number> = { nevus: 330, keratosis: 170, melanoma: 60, carcinoma: 26, vascular: 18 };

export const SKIN_SIZE = 64;

export interface SkinImage {
  rgba: Uint8Array;
  /** Tight box of the lesion (pixels with lesion opacity >= 0.5): [x, y, w, h]. */
  bbox: [number, number, number, number];
  confounders: { hair: boolean; ruler: boolean; vignette: boolean };
}

interface LesionLook {
  radius: [number, number];
  aspect: [number, number];
  /** Amplitude of the border's angular harmonics (irregularity). */
  irregular: number;
  harmonics: number;
  /** Soft edge width in pixels. */
  edge: number;
  maxOpacity: number;
  paint: (rng: Rng, r: Raster, mask: Float32Array, cx: number, cy: number, radius: number) => void;
}

/** Paints `colourAt(x, y, t)` into the lesion mask; t = 0 at the centre, 1 at the border. */
function fill(r: Raster, mask: Float32Array, cx: number, cy: number, radius: number, colourAt: (x: number, y: number, t: number) => Rgb, maxOpacity: number) {
  for (let y = 0; y < r.h; y++) {
    for (let x = 0; x < r.w; x++) {
      const m = mask[y * r.w + x]!;
      if (m > 0) r.blend(x, y, colourAt(x, y, Math.min(1, Math.hypot(x - cx, y - cy) / radius)), m * maxOpacity);
    }
  }
}

const LOOKS: Record<SkinClass, LesionLook> = {
  // Uniform brown, round, smooth regular border, darker centre.
  nevus: {
    radius: [7, 11],
    aspect: [0.8, 1],
    irregular: 0.03,
    harmonics: 3,
    edge: 1.4,
    maxOpacity: 0.95,
    paint(rng, r, mask, cx, cy, radius) {
      const base: Rgb = [rng.uniform(0.42, 0.52), rng.uniform(0.26, 0.32), rng.uniform(0.15, 0.2)];
      const centre: Rgb = [base[0] * 0.8, base[1] * 0.8, base[2] * 0.8];
      fill(r, mask, cx, cy, radius, (_x, _y, t) => mix(centre, base, t), this.maxOpacity);
    },
  },
  // Light tan, waxy, "stuck-on": granular cobblestone texture with pale milia-like dots.
  keratosis: {
    radius: [9, 14],
    aspect: [0.6, 0.85],
    irregular: 0.06,
    harmonics: 4,
    edge: 0.7,
    maxOpacity: 0.92,
    paint(rng, r, mask, cx, cy, radius) {
      const base: Rgb = [rng.uniform(0.6, 0.68), rng.uniform(0.46, 0.52), rng.uniform(0.3, 0.36)];
      const grain = valueNoise(rng, r.w, r.h, 2);
      fill(r, mask, cx, cy, radius, (x, y) => {
        const g = grain[y * r.w + x]!;
        return g > 0.55 ? [0.93, 0.88, 0.7] : g < -0.55 ? [0.35, 0.25, 0.18] : mix(base, [0.5, 0.37, 0.25], 0.5 + 0.5 * g);
      }, this.maxOpacity);
    },
  },
  // Large, asymmetric, irregular border; black, dark brown, blue-grey veil and red regions.
  melanoma: {
    radius: [11, 17],
    aspect: [0.65, 0.95],
    irregular: 0.16,
    harmonics: 7,
    edge: 0.8,
    maxOpacity: 0.97,
    paint(rng, r, mask, cx, cy, radius) {
      const zones = fractalNoise(rng, r.w, r.h, [8, 4]);
      const dx = rng.uniform(-0.5, 0.5) * radius;
      const dy = rng.uniform(-0.5, 0.5) * radius;
      // A third are subtle (mostly dark brown, little veil): harder to tell from a dark nevus.
      const shift = rng.chance(0.3) ? -0.3 : 0;
      fill(r, mask, cx, cy, radius, (x, y) => {
        const z = zones[y * r.w + x]! + 0.5 * (1 - Math.hypot(x - cx - dx, y - cy - dy) / radius);
        if (z > 0.55) return [0.07, 0.05, 0.06];
        if (z > 0.25 + shift) return [0.24, 0.13, 0.09];
        if (z > -0.05 + shift) return [0.38, 0.42, 0.52];
        return [0.6, 0.28, 0.27];
      }, this.maxOpacity);
    },
  },
  // Pink pearly translucent nodule with a whiter rolled border, red branching vessels, blue-grey ovoid nests.
  carcinoma: {
    radius: [8, 12],
    aspect: [0.75, 1],
    irregular: 0.05,
    harmonics: 5,
    edge: 1.6,
    maxOpacity: 0.9,
    paint(rng, r, mask, cx, cy, radius) {
      fill(r, mask, cx, cy, radius, (_x, _y, t) => (t > 0.72 ? [0.98, 0.9, 0.9] : mix([0.95, 0.66, 0.7], [0.9, 0.55, 0.6], t)), this.maxOpacity);
      for (let v = 0; v < 3; v++) {
        let a = rng.uniform(0, 2 * Math.PI);
        let px = cx + rng.uniform(-0.3, 0.3) * radius;
        let py = cy + rng.uniform(-0.3, 0.3) * radius;
        const pts: [number, number][] = [[px, py]];
        for (let s = 0; s < 6; s++) {
          a += rng.uniform(-0.9, 0.9);
          px += Math.cos(a) * radius * 0.17;
          py += Math.sin(a) * radius * 0.17;
          pts.push([px, py]);
        }
        strokePolyline(r, pts, 1.1, [0.8, 0.05, 0.1], 0.95);
      }
      for (let n = 0; n < 2 + rng.int(3); n++) {
        const a = rng.uniform(0, 2 * Math.PI);
        const d = rng.uniform(0.2, 0.7) * radius;
        strokePolyline(r, [[cx + Math.cos(a) * d, cy + Math.sin(a) * d], [cx + Math.cos(a) * d + 1.2, cy + Math.sin(a) * d + 0.6]], 2.6, [0.3, 0.34, 0.5], 0.9);
      }
    },
  },
  // Small, sharply bordered red-purple lobules separated by paler septa.
  vascular: {
    radius: [6, 9],
    aspect: [0.8, 1],
    irregular: 0.08,
    harmonics: 4,
    edge: 0.8,
    maxOpacity: 1,
    paint(rng, r, mask, cx, cy, radius) {
      fill(r, mask, cx, cy, radius, () => [0.5, 0.1, 0.26], this.maxOpacity);
      const lobules = 3 + rng.int(4);
      for (let l = 0; l < lobules; l++) {
        const a = (2 * Math.PI * l) / lobules + rng.uniform(-0.3, 0.3);
        const d = rng.uniform(0.2, 0.55) * radius;
        const lx = cx + Math.cos(a) * d;
        const ly = cy + Math.sin(a) * d;
        const lr = radius * rng.uniform(0.3, 0.45);
        for (let y = Math.floor(ly - lr - 1); y <= ly + lr + 1; y++) {
          for (let x = Math.floor(lx - lr - 1); x <= lx + lr + 1; x++) {
            if (x < 0 || y < 0 || x >= r.w || y >= r.h) continue;
            const cover = clamp01(lr - Math.hypot(x + 0.5 - lx, y + 0.5 - ly)) * mask[y * r.w + x]!;
            r.blend(x, y, [0.4, 0.02, 0.2], cover);
          }
        }
      }
    },
  },
};

const SKIN_TONES: Rgb[] = [
  [0.94, 0.78, 0.68],
  [0.88, 0.7, 0.58],
  [0.8, 0.6, 0.47],
  [0.7, 0.5, 0.38],
];

function paintSkin(rng: Rng, r: Raster): void {
  const tone = mix(rng.pick(SKIN_TONES), rng.pick(SKIN_TONES), rng.next());
  const blotch = fractalNoise(rng, r.w, r.h, [16, 8]);
  const pores = valueNoise(rng, r.w, r.h, 3);
  const redness = valueNoise(rng, r.w, r.h, 12);
  for (let i = 0; i < r.w * r.h; i++) {
    const f = 1 + 0.07 * blotch[i]! + 0.03 * pores[i]!;
    const red = 0.04 * Math.max(0, redness[i]!);
    r.px[i * 3] = tone[0] * f + red;
    r.px[i * 3 + 1] = tone[1] * f - red;
    r.px[i * 3 + 2] = tone[2] * f - red;
  }
}

/** The lesion's opacity mask in [0, 1] with a class-dependent border. */
function lesionMask(rng: Rng, w: number, h: number, cx: number, cy: number, radius: number, look: LesionLook): Float32Array {
  const aspect = rng.uniform(...look.aspect);
  const theta = rng.uniform(0, Math.PI);
  const amps = Array.from({ length: look.harmonics }, (_, k) => (k < 1 ? 0 : rng.uniform(0, look.irregular)));
  const phases = amps.map(() => rng.uniform(0, 2 * Math.PI));
  const mask = new Float32Array(w * h);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = dx * c + dy * s;
      const v = (-dx * s + dy * c) / aspect;
      const phi = Math.atan2(v, u);
      let rr = radius;
      amps.forEach((a, k) => (rr += radius * a * Math.cos((k + 1) * phi + phases[k]!)));
      mask[y * w + x] = clamp01((rr - Math.hypot(u, v)) / look.edge + 0.5);
    }
  }
  return mask;
}

function drawHair(rng: Rng, r: Raster): void {
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const p0: [number, number] = [rng.uniform(-5, r.w + 5), rng.uniform(-5, r.h + 5)];
    const p2: [number, number] = [rng.uniform(-5, r.w + 5), rng.uniform(-5, r.h + 5)];
    const p1: [number, number] = [(p0[0] + p2[0]) / 2 + rng.uniform(-15, 15), (p0[1] + p2[1]) / 2 + rng.uniform(-15, 15)];
    const pts: [number, number][] = [];
    for (let t = 0; t <= 1.0001; t += 1 / 24) {
      const a = (1 - t) * (1 - t);
      const b = 2 * (1 - t) * t;
      const c = t * t;
      pts.push([a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]]);
    }
    strokePolyline(r, pts, rng.uniform(0.6, 1.1), [0.12, 0.08, 0.06], 0.85);
  }
}

function drawRuler(rng: Rng, r: Raster): void {
  const side = rng.int(4);
  const width = 5 + rng.int(3);
  const paper: Rgb = [0.95, 0.94, 0.85];
  const along = side < 2 ? r.w : r.h;
  const offset = rng.int(3);
  for (let a = 0; a < along; a++) {
    for (let d = 0; d < width; d++) {
      const [x, y] = side === 0 ? [a, d] : side === 1 ? [a, r.h - 1 - d] : side === 2 ? [d, a] : [r.w - 1 - d, a];
      const tick = (a + offset) % 3 === 0 && d < ((a + offset) % 15 === 0 ? width - 1 : Math.ceil(width / 2));
      r.blend(x, y, tick ? [0.1, 0.1, 0.1] : paper, 0.95);
    }
  }
}

function applyVignette(rng: Rng, r: Raster): void {
  const inner = rng.uniform(0.75, 0.9) * (r.w / 2);
  const outer = inner + rng.uniform(4, 10);
  for (let y = 0; y < r.h; y++) {
    for (let x = 0; x < r.w; x++) {
      const d = Math.hypot(x + 0.5 - r.w / 2, y + 0.5 - r.h / 2);
      r.scale(x, y, 1 - 0.92 * clamp01((d - inner) / (outer - inner)));
    }
  }
}

/** How likely each confounder is, by class and split (the ruler is a training-only shortcut). */
export function confounderOdds(cls: SkinClass, split: 'train' | 'val' | 'test'): { hair: number; ruler: number; vignette: number } {
  const ruler = split === 'train' ? (cls === 'melanoma' ? 0.7 : 0.08) : 0.15;
  return { hair: 0.35, ruler, vignette: 0.3 };
}

/** Renders one image of class `cls`; everything random comes from `rng`. */
export function renderSkinImage(rng: Rng, cls: SkinClass, split: 'train' | 'val' | 'test'): SkinImage {
  const size = SKIN_SIZE;
  const r = new Raster(size, size);
  paintSkin(rng, r);
  const look = LOOKS[cls];
  const radius = rng.uniform(...look.radius);
  const margin = radius + 4;
  const cx = rng.uniform(margin, size - margin);
  const cy = rng.uniform(margin, size - margin);
  const mask = lesionMask(rng, size, size, cx, cy, radius, look);
  look.paint(rng, r, mask, cx, cy, radius);

  let x0 = size;
  let y0 = size;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (mask[y * size + x]! >= 0.5) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }

  const odds = confounderOdds(cls, split);
  const confounders = { hair: rng.chance(odds.hair), ruler: rng.chance(odds.ruler), vignette: rng.chance(odds.vignette) };
  if (confounders.hair) drawHair(rng, r);
  if (confounders.ruler) drawRuler(rng, r);
  if (confounders.vignette) applyVignette(rng, r);

  // Exposure and colour cast of the camera.
  const gain = rng.uniform(0.9, 1.08);
  const cast: Rgb = [rng.uniform(-0.03, 0.03), rng.uniform(-0.03, 0.03), rng.uniform(-0.03, 0.03)];
  for (let i = 0; i < size * size; i++) for (let k = 0; k < 3; k++) r.px[i * 3 + k] = r.px[i * 3 + k]! * gain + cast[k]!;

  return { rgba: r.toRgba(), bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], confounders };
}
