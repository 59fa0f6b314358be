/**
 * Fast PNG reader through pngjs for 8-bit grey, grey+alpha, RGB and RGBA images, matching what
 * itk-wasm returns (same components, origin 0, spacing 1). Palette and 16-bit PNGs go to
 * itk-wasm (null return).
 */
import { PNG } from 'pngjs';
import { IDENTITY3 } from '../../formats/geometry';
import { checkSize, ImageReadError } from './errors';
import { makeMedImage } from './medImage';
import type { MedImage } from './types';

const COMPONENTS: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

/** PNG width and height from the IHDR chunk, to refuse gigantic images before decoding. */
function pngSize(raw: Uint8Array): { width: number; height: number; depth: number; colorType: number } | null {
  if (raw.length < 29) return null;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), depth: raw[24]!, colorType: raw[25]! };
}

export function readPngFast(file: string, raw: Uint8Array, maxBytes: number): MedImage | null {
  const ihdr = pngSize(raw);
  if (!ihdr) throw new ImageReadError(file, 'truncated', `is a PNG of ${raw.length} bytes, too short for its header`);
  const components = COMPONENTS[ihdr.colorType];
  if (ihdr.depth !== 8 || components === undefined) return null;
  checkSize(file, [ihdr.width, ihdr.height], 4, 1, maxBytes, 'PNG image');
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
