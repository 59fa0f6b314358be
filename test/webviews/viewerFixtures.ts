/**
 * Tiny volumes for the viewer's webview tests, written under .cache/ inside the repository (the
 * harness serves the repository root), plus the "extension side" answers for each format.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { encodeNifti, encodeNiftiGz } from '../../server/src/data/writers/nifti';
import type { Mat3, Vec3 } from '../../server/src/formats/geometry';
import type { VolumeSource } from '../../server/src/protocol/viewer';
import { decodeToRaw } from '../../server/src/features/viewer';
import { ROOT, type WebviewPage } from './harness';

export const FIXTURES = path.join(ROOT, '.cache', `viewer-test-${process.pid}`);
export const rel = (p: string) => `/${path.relative(ROOT, p).split(path.sep).join('/')}`;

export function fixturesDir(): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  return FIXTURES;
}

export function cleanFixtures(): void {
  fs.rmSync(FIXTURES, { recursive: true, force: true });
}

/** A phantom: a bright ellipsoid with a brighter off-centre blob (so flips are visible), int16. */
export function phantom(dims: [number, number, number], frames = 1): Int16Array {
  const [nx, ny, nz] = dims;
  const out = new Int16Array(nx * ny * nz * frames);
  let o = 0;
  for (let t = 0; t < frames; t++)
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const x = (i - nx / 2) / (nx * 0.4);
          const y = (j - ny / 2) / (ny * 0.4);
          const z = (k - nz / 2) / (nz * 0.4);
          let v = x * x + y * y + z * z < 1 ? 60 : -1000;
          const bx = (i - nx * 0.7) / (nx * 0.12);
          const by = (j - ny * 0.35) / (ny * 0.12);
          if (bx * bx + by * by + z * z * 0.3 < 1) v = 1200;
          out[o++] = v + t * 100;
        }
  return out;
}

export interface NiftiFixture {
  dims: number[];
  data: Int16Array | Uint8Array | Float32Array;
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
}

export function writeNifti(name: string, f: NiftiFixture): string {
  const file = path.join(fixturesDir(), name);
  const img = { data: f.data, dims: f.dims, spacing: f.spacing ?? ([1, 1, 1] as Vec3), origin: f.origin ?? ([0, 0, 0] as Vec3), direction: f.direction ?? ([1, 0, 0, 0, 1, 0, 0, 0, 1] as Mat3) };
  fs.writeFileSync(file, name.endsWith('.gz') ? encodeNiftiGz(img, 1) : encodeNifti(img));
  return file;
}

/** NRRD (raw encoding, LPS space) of an int16 volume. */
export function writeNrrd(name: string, dims: [number, number, number], data: Int16Array): string {
  const file = path.join(fixturesDir(), name);
  const head = `NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: ${dims.join(' ')}\nspace directions: (1,0,0) (0,1,0) (0,0,2)\nkinds: domain domain domain\nendian: little\nencoding: raw\nspace origin: (0,0,0)\n\n`;
  fs.writeFileSync(file, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  return file;
}

/** MetaImage (.mha, data inline) of an int16 volume. */
export function writeMha(name: string, dims: [number, number, number], data: Int16Array): string {
  const file = path.join(fixturesDir(), name);
  const head = `ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 0 0 0\nElementSpacing = 1 1 1\nDimSize = ${dims.join(' ')}\nElementType = MET_SHORT\nElementDataFile = LOCAL\n`;
  fs.writeFileSync(file, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  return file;
}

/** MetaImage header (.mhd) with its voxels in a separate .raw file. */
export function writeMhd(name: string, dims: [number, number, number], data: Int16Array): string {
  const file = path.join(fixturesDir(), name);
  const rawName = name.replace(/\.mhd$/, '.raw');
  const head = `ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 0 0 0\nElementSpacing = 1 1 1\nDimSize = ${dims.join(' ')}\nElementType = MET_SHORT\nElementDataFile = ${rawName}\n`;
  fs.writeFileSync(file, head);
  fs.writeFileSync(path.join(fixturesDir(), rawName), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return file;
}

/** An RGB PNG: a red left half and a blue right half with a green square top-left. */
export function writePng(name: string, w = 48, h = 32): string {
  const file = path.join(fixturesDir(), name);
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const green = x < w / 4 && y < h / 4;
      png.data[o] = green ? 0 : x < w / 2 ? 220 : 20;
      png.data[o + 1] = green ? 220 : 20;
      png.data[o + 2] = green ? 0 : x < w / 2 ? 20 : 220;
      png.data[o + 3] = 255;
    }
  fs.writeFileSync(file, PNG.sync.write(png));
  return file;
}

/** What the extension would answer for a file: NIfTI/PNG by URL, the rest decoded like the server does. */
export async function sourceFor(file: string, base: string): Promise<VolumeSource> {
  const name = path.basename(file);
  if (/\.nii(\.gz)?$/i.test(name)) return { kind: 'nifti', url: `${base}${rel(file)}`, name };
  if (/\.(png|jpe?g)$/i.test(name)) return { kind: 'bitmap', url: `${base}${rel(file)}`, name };
  const out = path.join(fixturesDir(), `${name}.raw`);
  const { header } = await decodeToRaw(file, out, 1 << 30);
  return { kind: 'raw', url: `${base}${rel(out)}`, name, header };
}

/** Plays the extension's `ready` answer and waits for the first slice (or the webview's failure). */
export async function openIn(wv: WebviewPage, source: VolumeSource, maxBytes = 1 << 30, timeoutMs = 30_000): Promise<void> {
  wv.answer('ready', () => ({ title: source.name, source, maxBytes }));
  const m = await wv.waitForPosted((x) => x.kind === 'event' && (x.type === 'rendered' || x.type === 'failed'), timeoutMs);
  if (m.kind === 'event' && m.type === 'failed') throw new Error(`viewer failed: ${(m.payload as { message: string }).message}`);
}

/** The origin the harness served the page from. */
export function baseOf(wv: WebviewPage): string {
  return new URL(wv.page.url()).origin;
}

/** Mean brightness of a canvas region (fractions of its size), read back from the page. */
export async function regionMean(wv: WebviewPage, view: string, x0: number, y0: number, x1: number, y1: number): Promise<number> {
  return wv.page.evaluate(
    ({ view, r }) => {
      const c = document.querySelector<HTMLCanvasElement>(`canvas[data-view="${view}"]`)!;
      const ctx = c.getContext('2d')!;
      const x = Math.floor(r[0]! * c.width);
      const y = Math.floor(r[1]! * c.height);
      const w = Math.max(1, Math.floor((r[2]! - r[0]!) * c.width));
      const h = Math.max(1, Math.floor((r[3]! - r[1]!) * c.height));
      const d = ctx.getImageData(x, y, w, h).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
      return s / (d.length / 4);
    },
    { view, r: [x0, y0, x1, y1] },
  );
}

/** RGB of one canvas pixel at fractions (fx, fy) of its size. */
export async function pixelAt(wv: WebviewPage, view: string, fx: number, fy: number): Promise<number[]> {
  return wv.page.evaluate(
    ({ view, fx, fy }) => {
      const c = document.querySelector<HTMLCanvasElement>(`canvas[data-view="${view}"]`)!;
      return Array.from(c.getContext('2d')!.getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data.slice(0, 3));
    },
    { view, fx, fy },
  );
}

/** Waits until the viewer has drawn more frames than `after` (input is processed on animation frames). */
export async function nextFrame(wv: WebviewPage, after: number): Promise<number> {
  await wv.page.waitForFunction((n) => Number(document.body.dataset.frames ?? 0) > n, after);
  return Number(await wv.page.evaluate(() => document.body.dataset.frames));
}

export async function frames(wv: WebviewPage): Promise<number> {
  return Number(await wv.page.evaluate(() => document.body.dataset.frames ?? 0));
}

export const SCREENSHOTS = path.join(ROOT, 'test', 'webviews', '__screenshots__');

/**
 * Compares a PNG with the stored reference test/webviews/__screenshots__/<name>.png: fails when
 * more than `maxFraction` of pixels differ by more than `channelTol` in any channel.
 * UPDATE_SCREENSHOTS=1 rewrites the references instead. Returns the differing fraction.
 */
export function matchScreenshot(name: string, png: Buffer, maxFraction = 0.01, channelTol = 24): number {
  const ref = path.join(SCREENSHOTS, `${name}.png`);
  if (process.env.UPDATE_SCREENSHOTS === '1' || !fs.existsSync(ref)) {
    if (process.env.UPDATE_SCREENSHOTS !== '1' && process.env.CI) throw new Error(`missing screenshot reference ${ref}`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(ref, png);
    return 0;
  }
  const a = PNG.sync.read(png);
  const b = PNG.sync.read(fs.readFileSync(ref));
  if (a.width !== b.width || a.height !== b.height) throw new Error(`${name}: screenshot is ${a.width}x${a.height}, reference ${b.width}x${b.height}`);
  let bad = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i]! - b.data[i]!) > channelTol || Math.abs(a.data[i + 1]! - b.data[i + 1]!) > channelTol || Math.abs(a.data[i + 2]! - b.data[i + 2]!) > channelTol) bad++;
  }
  const fraction = bad / (a.width * a.height);
  if (fraction > maxFraction) {
    const out = path.join(FIXTURES, `${name}.actual.png`);
    fs.mkdirSync(FIXTURES, { recursive: true });
    fs.writeFileSync(out, png);
    throw new Error(`${name}: ${(fraction * 100).toFixed(2)}% of pixels differ from the reference (allowed ${maxFraction * 100}%); actual saved at ${out}`);
  }
  return fraction;
}
