/** Colormaps as 256-entry RGBA lookup tables, and label colours. */
export type ColormapName = 'gray' | 'inverted' | 'hot' | 'viridis' | 'inferno' | 'jet' | 'red';
export const COLORMAPS: readonly ColormapName[] = ['gray', 'inverted', 'hot', 'viridis', 'inferno', 'jet', 'red'];

type Stop = [number, number, number, number];
const STOPS: Record<ColormapName, Stop[]> = {
  gray: [[0, 0, 0, 0], [1, 255, 255, 255]],
  inverted: [[0, 255, 255, 255], [1, 0, 0, 0]],
  hot: [[0, 0, 0, 0], [0.375, 255, 0, 0], [0.75, 255, 255, 0], [1, 255, 255, 255]],
  viridis: [[0, 68, 1, 84], [0.25, 59, 82, 139], [0.5, 33, 145, 140], [0.75, 94, 201, 98], [1, 253, 231, 37]],
  inferno: [[0, 0, 0, 4], [0.25, 87, 16, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164]],
  jet: [[0, 0, 0, 131], [0.125, 0, 60, 170], [0.375, 5, 255, 255], [0.625, 255, 255, 0], [0.875, 250, 0, 0], [1, 128, 0, 0]],
  red: [[0, 0, 0, 0], [1, 255, 0, 0]],
};

const cache = new Map<ColormapName, Uint8Array>();

/** RGBA table: entry i (0..255) at 4*i; alpha is 255. */
export function colormapLut(name: ColormapName): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const stops = STOPS[name] ?? STOPS.gray;
  const lut = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && stops[k + 1]![0] < t) k++;
    const a = stops[k]!;
    const b = stops[k + 1]!;
    const f = b[0] === a[0] ? 0 : Math.min(1, Math.max(0, (t - a[0]) / (b[0] - a[0])));
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = Math.round(a[c + 1]! + (b[c + 1]! - a[c + 1]!) * f);
    lut[i * 4 + 3] = 255;
  }
  cache.set(name, lut);
  return lut;
}

/** Distinct colours for label values 1..n (0 is background, never drawn). */
const PALETTE: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255],
];

export function labelColor(label: number): [number, number, number] {
  return PALETTE[(Math.abs(Math.round(label)) - 1) % PALETTE.length] ?? PALETTE[0]!;
}

export function rgbHex(c: [number, number, number]): string {
  return `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function parseHex(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [255, 0, 0];
}
