/**
 * Builds a new COCO box file for a dataset folder: its PNG/JPEG images (sizes read from the file
 * headers, nothing decoded) and its classes (the experiment's, else the folder-per-class
 * layout's subfolders). No `vscode` import: unit tests run it on a temp folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emptyCoco, type CocoDataset } from '../../../../server/src/formats/coco';

const IMAGE_EXT = /\.(png|jpe?g)$/i;
/** A dataset folder with more images than this is better served by a CLI export. */
export const MAX_IMAGES = 50_000;

/** Width and height from a PNG or JPEG header; null for anything else. */
export function imageSize(b: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { width: dv.getUint32(16), height: dv.getUint32(20) };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const len = dv.getUint16(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { height: dv.getUint16(i + 5), width: dv.getUint16(i + 7) };
    i += 2 + len;
  }
  return null;
}

/** Image files under `dir` (relative paths, forward slashes, sorted), skipping hidden folders. */
export function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) {
        out.push(r);
        if (out.length > MAX_IMAGES) throw new Error(`${dir} holds more than ${MAX_IMAGES} images: create its box file with the CLI instead`);
      }
    }
  };
  walk('');
  return out.sort();
}

function readHeader(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    // JPEG frame headers follow EXIF/ICC blocks, which can be large.
    const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, 1 << 20));
    fs.readSync(fd, buf, 0, buf.length, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A COCO dataset of the images under `datasetDir`, with paths relative to `cocoDir` (where the
 * box file will live). Images whose size cannot be read are listed in `skipped`.
 */
export function scanDataset(datasetDir: string, cocoDir: string, classes?: readonly string[]): { dataset: CocoDataset; skipped: string[] } {
  const files = listImages(datasetDir);
  const folders = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!))].sort();
  const ds = emptyCoco(classes?.length ? classes : folders.length ? folders : ['lesion']);
  const skipped: string[] = [];
  for (const f of files) {
    const abs = path.join(datasetDir, f);
    const size = imageSize(readHeader(abs));
    if (!size || size.width <= 0 || size.height <= 0) {
      skipped.push(f);
      continue;
    }
    ds.images.push({ id: ds.images.length + 1, file_name: path.relative(cocoDir, abs).split(path.sep).join('/'), width: size.width, height: size.height });
  }
  return { dataset: ds, skipped };
}
