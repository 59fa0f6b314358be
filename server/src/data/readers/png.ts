/**
 * Fast PNG reader through pngjs for 8-bit grey, grey+alpha, RGB and RGBA images, matching what
 * itk-wasm returns (same components, origin 0, spacing 1). Palette and 16-bit PNGs go to
 * itk-wasm (null return).
 */
import { constants, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { IDENTITY3 } from '../../formats/geometry';
import { checkSize, formatBytes, ImageReadError } from './errors';
import { makeMedImage } from './medImage';
import type { MedImage } from './types';

const COMPONENTS: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

interface Ihdr {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** Samples per pixel of each PNG colour type (palette: one index). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** PNG width and height from the IHDR chunk, to refuse gigantic images before decoding. */
function pngSize(raw: Uint8Array): Ihdr | null {
  if (raw.length < 29) return null;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), depth: raw[24]!, colorType: raw[25]!, interlace: raw[28]! };
}

/**
 * Inflates the IDAT stream with a limit of what the header describes (rows with their filter
 * byte; Adam7 adds at most one filter byte per row of each of 7 passes), so a small PNG that
 * inflates to gigabytes is refused with an error instead of exhausting memory.
 */
function checkPngInflate(file: string, raw: Uint8Array, h: Ihdr): void {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const parts: Uint8Array[] = [];
  for (let o = 8; o + 8 <= raw.length; ) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(raw[o + 4]!, raw[o + 5]!, raw[o + 6]!, raw[o + 7]!);
    if (type === 'IDAT') parts.push(raw.subarray(o + 8, Math.min(raw.length, o + 8 + len)));
    if (type === 'IEND') break;
    o += 12 + len;
  }
  const bits = (SAMPLES[h.colorType] ?? 4) * h.depth;
  const described = (Math.ceil((h.width * bits) / 8) + 1) * h.height + 7 * (h.height + 8);
  const limit = described + 1024 * 1024;
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH });
  } catch (e) {
    if (e instanceof RangeError) {
      throw new ImageReadError(file, 'too-large', `has image data that decompresses to more than ${formatBytes(limit)}, but its header describes ${h.width}x${h.height} (${formatBytes(described)}); refused as damaged or a decompression bomb`);
    }
    // Other inflate problems are reported by the decoder itself, with its own words.
  }
}

export function readPngFast(file: string, raw: Uint8Array, maxBytes: number): MedImage | null {
  const ihdr = pngSize(raw);
  if (!ihdr) throw new ImageReadError(file, 'truncated', `is a PNG of ${raw.length} bytes, too short for its header`);
  const components = COMPONENTS[ihdr.colorType];
  checkSize(file, [ihdr.width, ihdr.height], 4, Math.max(1, ihdr.depth / 8), maxBytes, 'PNG image');
  // pngjs bounds its inflate for plain 8-bit images only; interlaced ones and those left to
  // itk-wasm would inflate whatever the IDAT stream holds.
  const fast = ihdr.depth === 8 && components !== undefined;
  if (!fast || ihdr.interlace !== 0) checkPngInflate(file, raw, ihdr);
  if (!fast) return null;
  if (!endsWithIend(raw)) throw new ImageReadError(file, 'truncated', 'is a PNG without its IEND chunk (the file was cut short)');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const truncated = /unexpected end|end of|ended|too short|premature/i.test(msg);
    throw new ImageReadError(file, truncated ? 'truncated' : 'corrupt', `is not a readable PNG (${msg})`);
  }
  const n = png.width * png.height;
  const data = new Uint8Array(n * components);
  const src = png.data;
  // pngjs always expands to RGBA; keep the channels the file actually has.
  for (let p = 0; p < n; p++) {
    const s = p * 4;
    const d = p * components;
    if (components === 1) data[d] = src[s]!;
    else if (components === 2) {
      data[d] = src[s]!;
      data[d + 1] = src[s + 3]!;
    } else {
      data[d] = src[s]!;
      data[d + 1] = src[s + 1]!;
      data[d + 2] = src[s + 2]!;
      if (components === 4) data[d + 3] = src[s + 3]!;
    }
  }
  return makeMedImage({
    path: file,
    format: 'png',
    data,
    dims: [png.width, png.height, 1],
    spatialDims: 2,
    components,
    geometry: { origin: [0, 0, 0], spacing: [1, 1, 1], direction: IDENTITY3 },
  });
}

function endsWithIend(raw: Uint8Array): boolean {
  // IEND is the last chunk: 4-byte length 0, "IEND", 4-byte CRC; allow trailing garbage bytes.
  for (let i = raw.length - 8; i >= Math.max(8, raw.length - 1024); i--) {
    if (raw[i] === 0x49 && raw[i + 1] === 0x45 && raw[i + 2] === 0x4e && raw[i + 3] === 0x44) return true;
  }
  return false;
}
