/**
 * Writers for small test fixtures in every format the readers take, so the unit tests need no
 * files from outside the repository. Each returns the path it wrote.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import type { Mat3, Vec3 } from '../../../server/src/formats/geometry';

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `medstudio-${name}-`));
}

/** A 4x3x2 int16 volume whose voxel (i, j, k) holds i + 10 j + 100 k - 50 (so order errors show). */
export function rampVolume(dims: readonly number[] = [4, 3, 2]): Int16Array {
  const [nx, ny, nz] = [dims[0]!, dims[1]!, dims[2] ?? 1];
  const out = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[(k * ny + j) * nx + i] = i + 10 * j + 100 * k - 50;
  return out;
}

function swap16(a: Int16Array): Uint8Array {
  const b = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1]!, b[i]!];
  return b;
}

const bytesOf = (a: Int16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export interface Geometry3 {
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

/** NRRD with LPS space directions; raw or gzip, little or big endian. */
export function writeNrrd(file: string, data: Int16Array, dims: readonly number[], g: Geometry3, opts: { encoding?: 'raw' | 'gzip'; bigEndian?: boolean } = {}): string {
  const d = g.direction;
  const dirs = [0, 1, 2].map((c) => `(${[d[c]! * g.spacing[c]!, d[3 + c]! * g.spacing[c]!, d[6 + c]! * g.spacing[c]!].join(',')})`).join(' ');
  const header = [
    'NRRD0004',
    'type: short',
    'dimension: 3',
    'space: left-posterior-superior',
    `sizes: ${dims.join(' ')}`,
    `space directions: ${dirs}`,
    'kinds: domain domain domain',
    `endian: ${opts.bigEndian ? 'big' : 'little'}`,
    `encoding: ${opts.encoding ?? 'raw'}`,
    `space origin: (${g.origin.join(',')})`,
    '',
    '',
  ].join('\n');
  let body = opts.bigEndian ? swap16(data) : bytesOf(data);
  if (opts.encoding === 'gzip') body = new Uint8Array(gzipSync(body));
  fs.writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), body]));
  return file;
}

/** MetaImage: .mha with LOCAL data, or .mhd + .raw pair. */
export function writeMetaImage(file: string, data: Int16Array, dims: readonly number[], g: Geometry3): string {
  const d = g.direction;
  // TransformMatrix is written row by row of the direction's columns (ITK's MetaImage convention).
  const tm = [0, 1, 2].flatMap((c) => [d[c]!, d[3 + c]!, d[6 + c]!]);
  const detached = file.endsWith('.mhd');
  const rawName = path.basename(file).replace(/\.mhd$/, '.raw');
  const header = [
    'ObjectType = Image',
    'NDims = 3',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    'CompressedData = False',
    `TransformMatrix = ${tm.join(' ')}`,
    `Offset = ${g.origin.join(' ')}`,
    'AnatomicalOrientation = RAI',
    `ElementSpacing = ${g.spacing.join(' ')}`,
    `DimSize = ${dims.join(' ')}`,
    'ElementType = MET_SHORT',
    `ElementDataFile = ${detached ? rawName : 'LOCAL'}`,
    '',
  ].join('\n');
  if (detached) {
    fs.writeFileSync(file, header);
    fs.writeFileSync(path.join(path.dirname(file), rawName), bytesOf(data));
  } else fs.writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), bytesOf(data)]));
  return file;
}

/** PNG with 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels; value of channel c at (x, y) = (x * 16 + y * 3 + c * 40) % 256. */
export function writePng(file: string, width: number, height: number, channels: 1 | 2 | 3 | 4): string {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const v = (c: number) => (x * 16 + y * 3 + c * 40) % 256;
      const grey = channels <= 2;
      png.data[i] = v(0);
      png.data[i + 1] = grey ? v(0) : v(1);
      png.data[i + 2] = grey ? v(0) : v(2);
      png.data[i + 3] = channels === 2 ? v(1) : channels === 4 ? v(3) : 255;
    }
  }
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as const)[channels];
  fs.writeFileSync(file, PNG.sync.write(png, { colorType, inputColorType: 6 }));
  return file;
}

/** Pixel value of writePng's image. */
export function pngValue(x: number, y: number, c: number): number {
  return (x * 16 + y * 3 + c * 40) % 256;
}

// ---- DICOM (explicit VR little endian, uncompressed, 16-bit signed CT slices) ----

function element(group: number, elem: number, vr: string, value: Uint8Array, implicit = false): Uint8Array {
  if (implicit && group !== 0x0002) {
    const padded = value.length % 2 ? Buffer.concat([value, Buffer.from(vr === 'UI' ? [0] : [0x20])]) : value;
    const head = Buffer.alloc(8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(elem, 2);
    head.writeUInt32LE(padded.length, 4);
    return Buffer.concat([head, padded]);
  }
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const padded = value.length % 2 ? Buffer.concat([value, Buffer.from(vr === 'UI' || vr === 'OB' ? [0] : [0x20])]) : value;
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(padded.length, 8);
  else head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}
const s = (t: string) => Buffer.from(t, 'latin1');
const us = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

export interface DicomSlice {
  seriesUid: string;
  seriesNumber: number;
  description: string;
  instance: number;
  position: Vec3;
  /** Row direction then column direction (Image Orientation Patient). */
  orientation: [number, number, number, number, number, number];
  pixelSpacing: [number, number];
  rows: number;
  columns: number;
  pixels: Int16Array;
}

/** Writes one slice; `implicit` uses implicit VR little endian for the data set, as many scanners do. */
export function writeDicomSlice(file: string, sl: DicomSlice, implicit = false): string {
  const el = (g: number, e: number, vr: string, v: Uint8Array) => element(g, e, vr, v, implicit);
  const sopClass = '1.2.840.10008.5.1.4.1.1.2';
  const sopInstance = `${sl.seriesUid}.${sl.instance}`;
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', s(sopClass)),
    element(0x0002, 0x0003, 'UI', s(sopInstance)),
    element(0x0002, 0x0010, 'UI', s(implicit ? '1.2.840.10008.1.2' : '1.2.840.10008.1.2.1')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const ds = Buffer.concat([
    el(0x0008, 0x0016, 'UI', s(sopClass)),
    el(0x0008, 0x0018, 'UI', s(sopInstance)),
    el(0x0008, 0x0060, 'CS', s('CT')),
    el(0x0008, 0x103e, 'LO', s(sl.description)),
    el(0x0010, 0x0010, 'PN', s('Test^Patient')),
    el(0x0010, 0x0020, 'LO', s('T1')),
    el(0x0020, 0x000d, 'UI', s('1.2.826.0.1.3680043.8.498.1')),
    el(0x0020, 0x000e, 'UI', s(sl.seriesUid)),
    el(0x0020, 0x0011, 'IS', s(String(sl.seriesNumber))),
    el(0x0020, 0x0013, 'IS', s(String(sl.instance))),
    el(0x0020, 0x0032, 'DS', s(sl.position.join('\\'))),
    el(0x0020, 0x0037, 'DS', s(sl.orientation.join('\\'))),
    el(0x0028, 0x0002, 'US', us(1)),
    el(0x0028, 0x0004, 'CS', s('MONOCHROME2')),
    el(0x0028, 0x0010, 'US', us(sl.rows)),
    el(0x0028, 0x0011, 'US', us(sl.columns)),
    el(0x0028, 0x0030, 'DS', s(sl.pixelSpacing.join('\\'))),
    el(0x0028, 0x0100, 'US', us(16)),
    el(0x0028, 0x0101, 'US', us(16)),
    el(0x0028, 0x0102, 'US', us(15)),
    el(0x0028, 0x0103, 'US', us(1)),
    el(0x7fe0, 0x0010, 'OW', Buffer.from(sl.pixels.buffer, sl.pixels.byteOffset, sl.pixels.byteLength)),
  ]);
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(128), s('DICM'), element(0x0002, 0x0000, 'UL', groupLength), metaBody, ds]));
  return file;
}
