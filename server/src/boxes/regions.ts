/** Otsu thresholding and connected components -> one box (saliency and segmentation masks alike). */
import type { Gray } from './imageOps';

/** Otsu's threshold of values in [0, 1] (256 bins): maximises the between-class variance. */
export function otsuThreshold(values: ArrayLike<number>): number {
  const bins = new Float64Array(256);
  for (let i = 0; i < values.length; i++) bins[Math.min(255, Math.max(0, Math.floor(values[i]! * 256)))]!++;
  const total = values.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * bins[i]!;
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += bins[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * bins[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return (best + 1) / 256;
}

export interface Component {
  /** [x, y, w, h] in pixels. */
  bbox: [number, number, number, number];
  pixels: number;
  touchesBorder: boolean;
  /** Pixel indices of the component. */
  members: Int32Array;
}

/** 4-connected components of mask > 0.5, largest first. */
export function connectedComponents(mask: ArrayLike<number>, width: number, height: number): Component[] {
  const label = new Int32Array(width * height).fill(-1);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let s = 0; s < width * height; s++) {
    if (label[s] !== -1 || !(mask[s]! > 0.5)) continue;
    const id = out.length;
    const members: number[] = [];
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    label[s] = id;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!;
      members.push(p);
      const x = p % width;
      const y = (p - x) / width;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      const nb = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1];
      for (const q of nb) {
        if (q >= 0 && label[q] === -1 && mask[q]! > 0.5) {
          label[q] = id;
          stack.push(q);
        }
      }
    }
    out.push({ bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], pixels: members.length, touchesBorder: x0 === 0 || y0 === 0 || x1 === width - 1 || y1 === height - 1, members: Int32Array.from(members) });
  }
  return out.sort((a, b) => b.pixels - a.pixels);
}

export interface MapBox {
  bbox: [number, number, number, number];
  /** Mean map value inside the component, in [0, 1]. */
  score: number;
  /** Pixel indices of the component the box encloses. */
  members: Int32Array;
}

/**
 * Threshold (Otsu unless given) -> largest connected component -> its bounding box. Components
 * touching the image border (vignetting, rulers) are passed over when an inner one is at least
 * a tenth as large (MedStudio's choice; the lesion is rarely cut by the frame).
 */
export function boxFromMap(map: Gray, threshold = otsuThreshold(map.data)): MapBox | undefined {
  const bin = new Uint8Array(map.data.length);
  for (let i = 0; i < bin.length; i++) bin[i] = map.data[i]! > threshold ? 1 : 0;
  const comps = connectedComponents(bin, map.width, map.height);
  if (!comps.length) return undefined;
  const inner = comps.find((c) => !c.touchesBorder);
  const pick = inner && inner.pixels * 10 >= comps[0]!.pixels ? inner : comps[0]!;
  let s = 0;
  for (const i of pick.members) s += map.data[i]!;
  return { bbox: pick.bbox, score: s / pick.pixels, members: pick.members };
}
