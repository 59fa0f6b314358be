/**
 * CARE's box masks (ALGORITHMS.md): the inner mask is 1/N on each of the N pixels inside the
 * box; the outer mask is start + delta * (distance to the box) on the pixels outside it,
 * normalised to sum 1 (delta 0, start 1: uniform, the reference's setting).
 *
 * Masks are built from a binary region (the rasterised box, after the same augmentation as the
 * image, so a rotated box stays on the lesion); "distance to the box" is the Euclidean distance
 * between a pixel's centre and the nearest region pixel's centre (1 for a direct neighbour).
 */

/** [x, y, width, height] in pixels of the (resized) network input. */
export type Box = [number, number, number, number];

export interface BoxMasks {
  inner: Float32Array;
  outer: Float32Array;
}

/** 1 on pixels whose centre lies inside the box; the pixel under its centre for a box too small to hold one. */
export function rasteriseBox(box: Box, size: number): Float32Array {
  const [x0, y0, w, h] = box;
  const m = new Float32Array(size * size);
  let n = 0;
  for (let y = 0; y < size; y++) {
    const cy = y + 0.5;
    if (cy < y0 || cy >= y0 + h) continue;
    for (let x = 0; x < size; x++) {
      const cx = x + 0.5;
      if (cx >= x0 && cx < x0 + w) {
        m[y * size + x] = 1;
        n++;
      }
    }
  }
  if (n === 0) {
    const cx = Math.min(size - 1, Math.max(0, Math.floor(x0 + w / 2)));
    const cy = Math.min(size - 1, Math.max(0, Math.floor(y0 + h / 2)));
    m[cy * size + cx] = 1;
  }
  return m;
}

/** 1D squared-distance transform (Felzenszwalb & Huttenlocher) of f, in place into d. */
function edt1d(f: Float64Array, n: number, d: Float64Array): void {
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    if (f[q] === Infinity) continue;
    let s = 0;
    for (;;) {
      const p = v[k]!;
      s = f[p] === Infinity ? -Infinity : (f[q]! + q * q - (f[p]! + p * p)) / (2 * q - 2 * p);
      if (s <= z[k]! && k > 0) k--;
      else break;
    }
    if (f[v[k]!] === Infinity) {
      v[k] = q;
      z[k] = -Infinity;
      z[k + 1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    d[q] = f[p] === Infinity ? Infinity : (q - p) * (q - p) + f[p]!;
  }
}

/** Euclidean distance from every pixel centre to the nearest pixel with region[i] > 0.5. */
export function distanceToRegion(region: Float32Array, size: number): Float64Array {
  const g = new Float64Array(size * size);
  for (let i = 0; i < g.length; i++) g[i] = region[i]! > 0.5 ? 0 : Infinity;
  const f = new Float64Array(size);
  const d = new Float64Array(size);
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) f[y] = g[y * size + x]!;
    edt1d(f, size, d);
    for (let y = 0; y < size; y++) g[y * size + x] = d[y]!;
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) f[x] = g[y * size + x]!;
    edt1d(f, size, d);
    for (let x = 0; x < size; x++) g[y * size + x] = Math.sqrt(d[x]!);
  }
  return g;
}

/** Inner and outer masks of a binary region on a size x size grid (row-major). Empty region: both zero. */
export function regionMasks(region: Float32Array, size: number, outerStart = 1, outerDelta = 0): BoxMasks {
  const inner = new Float32Array(size * size);
  const outer = new Float32Array(size * size);
  let nIn = 0;
  for (const v of region) if (v > 0.5) nIn++;
  if (nIn === 0) return { inner, outer };
  const dist = outerDelta !== 0 ? distanceToRegion(region, size) : undefined;
  let outerSum = 0;
  for (let i = 0; i < region.length; i++) {
    if (region[i]! > 0.5) inner[i] = 1 / nIn;
    else {
      outer[i] = outerStart + outerDelta * (dist ? dist[i]! : 0);
      outerSum += outer[i]!;
    }
  }
  if (outerSum > 0) for (let i = 0; i < outer.length; i++) outer[i]! /= outerSum;
  return { inner, outer };
}

/** Inner and outer masks of one box. */
export function boxMasks(box: Box, size: number, outerStart = 1, outerDelta = 0): BoxMasks {
  return regionMasks(rasteriseBox(box, size), size, outerStart, outerDelta);
}
