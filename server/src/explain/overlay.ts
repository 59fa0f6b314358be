/**
 * Heatmap overlays as RGBA pixels: the image in grey (or its own colours), the heat on top in a
 * jet colormap whose opacity grows with the heat, so cold regions show the anatomy. For volumes,
 * the middle slice of each axis. Pure: no files, no tensors.
 */

export interface Rgba {
  width: number;
  height: number;
  /** width * height * 4 bytes, rows top to bottom. */
  data: Uint8Array;
}

/** A 2D plane cut from x-fastest voxels: `components` values per pixel. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
  components: number;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** The classic jet colormap: blue (0) -> cyan -> yellow -> red (1). */
export function jet(t: number): [number, number, number] {
  const v = clamp01(t);
  return [clamp01(1.5 - Math.abs(4 * v - 3)), clamp01(1.5 - Math.abs(4 * v - 2)), clamp01(1.5 - Math.abs(4 * v - 1))];
}

/** Intensity range of an image (all components), for display scaling. */
export function rangeOf(data: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

export type Axis = 'axial' | 'coronal' | 'sagittal';

/**
 * The middle slice across `axis` of a volume [x, y, z] (x fastest). Axial: x right, y down.
 * Coronal and sagittal: z up (the row order is flipped so the top of the picture is the
 * highest slice index).
 */
export function middleSlice(data: Float32Array, dims: number[], components: number, axis: Axis): Plane {
  const [nx, ny, nz] = [dims[0]!, dims[1]!, dims[2] ?? 1];
  const at = (x: number, y: number, z: number, c: number): number => data[((z * ny + y) * nx + x) * components + c]!;
  const plane = (w: number, h: number, pick: (u: number, v: number, c: number) => number): Plane => {
    const out = new Float32Array(w * h * components);
    for (let v = 0; v < h; v++) for (let u = 0; u < w; u++) for (let c = 0; c < components; c++) out[(v * w + u) * components + c] = pick(u, v, c);
    return { width: w, height: h, data: out, components };
  };
  if (axis === 'axial') {
    const z = Math.floor(nz / 2);
    return plane(nx, ny, (u, v, c) => at(u, v, z, c));
  }
  if (axis === 'coronal') {
    const y = Math.floor(ny / 2);
    return plane(nx, nz, (u, v, c) => at(u, y, nz - 1 - v, c));
  }
  const x = Math.floor(nx / 2);
  return plane(ny, nz, (u, v, c) => at(x, u, nz - 1 - v, c));
}

/** A 2D image [x, y] as a plane. */
export function wholePlane(data: Float32Array, dims: number[], components: number): Plane {
  return { width: dims[0]!, height: dims[1]!, data, components };
}

/**
 * Image under heat: `base` scaled from `range` to grey (or RGB), `heat` in [0, 1] blended with
 * opacity maxAlpha * (0.25 + 0.75 * heat). `heat` null draws the image alone.
 */
export function composeOverlay(base: Plane, range: [number, number], heat: Plane | null, maxAlpha = 0.6): Rgba {
  const { width, height } = base;
  const out = new Uint8Array(width * height * 4);
  const span = range[1] - range[0] || 1;
  for (let p = 0; p < width * height; p++) {
    const rgb: number[] = [];
    for (let c = 0; c < 3; c++) {
      const v = base.data[p * base.components + (base.components >= 3 ? c : 0)]!;
      rgb.push(clamp01((v - range[0]) / span));
    }
    if (heat) {
      const h = clamp01(heat.data[p]!);
      const a = maxAlpha * (0.25 + 0.75 * h);
      const col = jet(h);
      for (let c = 0; c < 3; c++) rgb[c] = (1 - a) * rgb[c]! + a * col[c]!;
    }
    for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.round(255 * rgb[c]!);
    out[p * 4 + 3] = 255;
  }
  return { width, height, data: out };
}

/** Nearest-neighbour enlargement by an integer factor (small medical images are unreadable at 1:1). */
export function upscale(img: Rgba, factor: number): Rgba {
  const f = Math.max(1, Math.floor(factor));
  if (f === 1) return img;
  const width = img.width * f;
  const height = img.height * f;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / f);
    for (let x = 0; x < width; x++) {
      const s = (sy * img.width + Math.floor(x / f)) * 4;
      data.set(img.data.subarray(s, s + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** The zoom that makes the shorter side at least `minSide` pixels. */
export function autoZoom(width: number, height: number, minSide = 256): number {
  return Math.max(1, Math.floor(minSide / Math.max(1, Math.min(width, height))));
}
