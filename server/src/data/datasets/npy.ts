/**
 * NumPy .npy arrays and .npz archives (MedMNIST's format), read and written without Python:
 * fflate for the zip, our own parser for the .npy header. C order only (what numpy.savez
 * writes); either endianness; integer and float types up to 64 bits (64-bit integers become
 * float64, exact to 2^53).
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { formatBytes } from '../readers/errors';

export type NpyArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface Npy {
  shape: number[];
  data: NpyArray;
  /** numpy dtype string as stored, e.g. '|u1', '<f4'. */
  dtype: string;
}

export class NpyError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'NpyError';
  }
}

const TYPES: Record<string, { bytes: number; make: (b: ArrayBuffer, n: number) => NpyArray; read: (v: DataView, o: number, le: boolean) => number }> = {
  u1: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n), read: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, make: (b, n) => new Int8Array(b, 0, n), read: (v, o) => v.getInt8(o) },
  b1: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n), read: (v, o) => v.getUint8(o) },
  u2: { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n), read: (v, o, le) => v.getUint16(o, le) },
  i2: { bytes: 2, make: (b, n) => new Int16Array(b, 0, n), read: (v, o, le) => v.getInt16(o, le) },
  u4: { bytes: 4, make: (b, n) => new Uint32Array(b, 0, n), read: (v, o, le) => v.getUint32(o, le) },
  i4: { bytes: 4, make: (b, n) => new Int32Array(b, 0, n), read: (v, o, le) => v.getInt32(o, le) },
  f4: { bytes: 4, make: (b, n) => new Float32Array(b, 0, n), read: (v, o, le) => v.getFloat32(o, le) },
  f8: { bytes: 8, make: (b, n) => new Float64Array(b, 0, n), read: (v, o, le) => v.getFloat64(o, le) },
  i8: { bytes: 8, make: (b, n) => new Float64Array(b, 0, n), read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { bytes: 8, make: (b, n) => new Float64Array(b, 0, n), read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

/** Parses one .npy file's bytes. */
export function parseNpy(bytes: Uint8Array, file: string): Npy {
  if (bytes.length < 10 || bytes[0] !== 0x93 || strFromU8(bytes.subarray(1, 6), true) !== 'NUMPY') throw new NpyError(file, 'is not a .npy array (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new NpyError(file, 'has a header longer than the file (truncated)');
  const header = strFromU8(bytes.subarray(start, start + headerLen), true);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(file, `has a header numpy would not write: ${header.trim()}`);
  if (fortran === 'True') throw new NpyError(file, 'is stored in Fortran order; save it with numpy in C order (np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const kind = descr.slice(1);
  const type = TYPES[kind];
  if (!type) throw new NpyError(file, `has dtype ${descr}, which MedStudio does not read (use integers or floats)`);
  const le = descr[0] !== '>';
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (dataStart + n * type.bytes > bytes.length) throw new NpyError(file, `holds ${bytes.length - dataStart} bytes of data, shape (${shape.join(', ')}) needs ${n * type.bytes} (truncated)`);
  const out = type.make(new ArrayBuffer(n * (kind === 'i8' || kind === 'u8' ? 8 : type.bytes)), n);
  const nativeCopy = (le || type.bytes === 1) && kind !== 'i8' && kind !== 'u8';
  if (nativeCopy) new Uint8Array(out.buffer).set(bytes.subarray(dataStart, dataStart + n * type.bytes));
  else for (let i = 0; i < n; i++) out[i] = type.read(v, dataStart + i * type.bytes, le);
  return { shape, data: out, dtype: descr };
}

const DESCR: [new (...a: never[]) => NpyArray, string][] = [
  [Uint8Array, '|u1'],
  [Int8Array, '|i1'],
  [Uint16Array, '<u2'],
  [Int16Array, '<i2'],
  [Uint32Array, '<u4'],
  [Int32Array, '<i4'],
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
];

/** Encodes a C-order array as .npy version 1.0 (little endian). */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  const descr = DESCR.find(([C]) => data instanceof C)![1];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so that the data starts on a 64-byte boundary, as numpy does.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...strToU8('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(strToU8(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** What an .npz may inflate to in all (MedMNIST+ at 224 px, the largest, is about 1.5 GB). */
export const NPZ_MAX_BYTES = 2 * 1024 ** 3;

/**
 * Reads every array of an .npz archive (keys without the .npy suffix). The arrays may inflate to
 * `maxBytes` in all: the zip directory's sizes are checked before anything is inflated, and
 * fflate never writes past the size it was given, so a lying directory cannot get more memory.
 */
export function parseNpz(bytes: Uint8Array, file: string, maxBytes = NPZ_MAX_BYTES): Map<string, Npy> {
  let entries: Record<string, Uint8Array>;
  let total = 0;
  let over: string | undefined;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('.npy') || over !== undefined) return false;
        total += f.originalSize;
        if (total > maxBytes) over = f.name;
        return over === undefined;
      },
    });
  } catch (e) {
    throw new NpyError(file, `is not a readable .npz (zip) archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (over !== undefined) {
    throw new NpyError(file, `would decompress to more than ${formatBytes(maxBytes)} (${over} brings it to ${formatBytes(total)}); refused as too large, damaged or a decompression bomb`);
  }
  const out = new Map<string, Npy>();
  for (const [name, content] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(content, `${file}:${name}`));
  }
  return out;
}

/** Writes arrays as an .npz archive (stored, like numpy.savez). Deterministic: no timestamps. */
export function encodeNpz(arrays: Record<string, { data: NpyArray; shape: readonly number[] }>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  for (const [k, a] of Object.entries(arrays)) files[`${k}.npy`] = [encodeNpy(a.data, a.shape), { level: 0, mtime: new Date(1980, 0, 1) }];
  return zipSync(files);
}
