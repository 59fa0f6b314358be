/**
 * Checks NRRD and MetaImage headers before itk-wasm sees the file, so that gigantic dimensions,
 * missing detached data files and cut-short data get an error that says so (itk-wasm reports
 * those as a bare number, or reads zeros).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipLimited, InflateLimitError } from '../inflateLimit';
import { checkSize, formatBytes, ImageReadError } from './errors';

const NRRD_TYPES: [RegExp, number][] = [
  [/^(signed char|int8|int8_t|uchar|unsigned char|uint8|uint8_t)$/, 1],
  [/^(short|short int|signed short|signed short int|int16|int16_t|ushort|unsigned short|unsigned short int|uint16|uint16_t)$/, 2],
  [/^(int|signed int|int32|int32_t|uint|unsigned int|uint32|uint32_t|float)$/, 4],
  [/^(longlong|long long|long long int|signed long long|signed long long int|int64|int64_t|ulonglong|unsigned long long|unsigned long long int|uint64|uint64_t|double)$/, 8],
];

const MET_TYPES: Record<string, number> = {
  MET_CHAR: 1,
  MET_UCHAR: 1,
  MET_SHORT: 2,
  MET_USHORT: 2,
  MET_INT: 4,
  MET_UINT: 4,
  MET_LONG: 4,
  MET_ULONG: 4,
  MET_LONG_LONG: 8,
  MET_ULONG_LONG: 8,
  MET_FLOAT: 4,
  MET_DOUBLE: 8,
};

/** Verifies the data a header promises is there; for compressed data, that it decompresses. */
function checkData(file: string, data: Uint8Array, expected: number, compressed: boolean, where: string): void {
  if (compressed) {
    const limit = expected + 1024 * 1024;
    try {
      gunzipLimited(data, limit);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // itk-wasm would inflate it all: refuse here, at the limit the header sets.
      if (e instanceof InflateLimitError) {
        throw new ImageReadError(file, 'too-large', `has compressed voxel data ${where} that decompresses to more than ${formatBytes(limit)}, but the header describes ${formatBytes(expected)}; refused as damaged or a decompression bomb`);
      }
      if (/unexpected end/i.test(msg)) throw new ImageReadError(file, 'truncated', `has compressed voxel data ${where} that is cut short`);
      throw new ImageReadError(file, 'corrupt', `has compressed voxel data ${where} that cannot be decompressed (${msg})`);
    }
    return;
  }
  if (data.length < expected) throw new ImageReadError(file, 'truncated', `holds ${data.length} bytes of voxel data ${where}, the header needs ${expected}`);
}

function readDataFile(file: string, name: string): Uint8Array {
  const p = path.resolve(path.dirname(file), name);
  if (!fs.existsSync(p)) throw new ImageReadError(file, 'not-found', `names a data file ${name} that does not exist (${p})`);
  return fs.readFileSync(p);
}

export function checkNrrdHeader(file: string, raw: Uint8Array, maxBytes: number): void {
  const headText = new TextDecoder('latin1').decode(raw.subarray(0, Math.min(raw.length, 64 * 1024)));
  const blank = /\r?\n\r?\n/.exec(headText);
  const end = blank ? blank.index : -1;
  const detachedOnly = !blank;
  const header = detachedOnly ? headText : headText.slice(0, end);
  const fields = new Map<string, string>();
  for (const line of header.split(/\r?\n/).slice(1)) {
    if (line.startsWith('#')) continue;
    const m = /^([^:]+):=?\s*(.*)$/.exec(line);
    if (m) fields.set(m[1]!.trim().toLowerCase(), m[2]!.trim());
  }
  const sizes = (fields.get('sizes') ?? '').split(/\s+/).filter(Boolean).map(Number);
  if (!sizes.length) throw new ImageReadError(file, 'corrupt', 'is an NRRD file without a "sizes" field');
  const type = (fields.get('type') ?? '').toLowerCase();
  const bytes = NRRD_TYPES.find(([re]) => re.test(type))?.[1];
  if (!bytes) throw new ImageReadError(file, 'unsupported', `has NRRD type "${type}", which MedStudio does not read`);
  checkSize(file, sizes, 1, bytes, maxBytes, 'NRRD image');
  const encoding = (fields.get('encoding') ?? 'raw').toLowerCase();
  if (!['raw', 'gzip', 'gz', 'ascii', 'text', 'txt'].includes(encoding)) throw new ImageReadError(file, 'unsupported', `has NRRD encoding "${encoding}", which MedStudio does not read`);
  if (encoding === 'ascii' || encoding === 'text' || encoding === 'txt') return;
  const expected = sizes.reduce((a, b) => a * b, 1) * bytes;
  const dataFile = fields.get('data file') ?? fields.get('datafile');
  const compressed = encoding !== 'raw';
  if (dataFile) {
    if (/^LIST|%/.test(dataFile)) return; // multi-file layouts: left to itk-wasm
    checkData(file, readDataFile(file, dataFile), expected, compressed, `in ${dataFile}`);
  } else {
    if (detachedOnly) throw new ImageReadError(file, 'truncated', 'is an NRRD file whose header never ends (no blank line before the data)');
    // latin1 decoding keeps one character per byte, so the text offset is the byte offset.
    const start = end + blank![0].length;
    checkData(file, raw.subarray(start), expected, compressed, 'in the file');
  }
}

export function checkMetaImageHeader(file: string, raw: Uint8Array, maxBytes: number): void {
  const text = new TextDecoder('latin1').decode(raw.subarray(0, Math.min(raw.length, 64 * 1024)));
  const fields = new Map<string, string>();
  let dataStart = -1;
  let pos = 0;
  for (const line of text.split('\n')) {
    pos += line.length + 1;
    const m = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    fields.set(m[1]!, m[2]!);
    if (m[1] === 'ElementDataFile') {
      dataStart = pos;
      break;
    }
  }
  const dims = (fields.get('DimSize') ?? '').split(/\s+/).filter(Boolean).map(Number);
  if (!dims.length) throw new ImageReadError(file, 'corrupt', 'is a MetaImage header without DimSize');
  const type = fields.get('ElementType') ?? '';
  const bytes = MET_TYPES[type];
  if (!bytes) throw new ImageReadError(file, 'unsupported', `has MetaImage ElementType "${type}", which MedStudio does not read`);
  const channels = Number(fields.get('ElementNumberOfChannels') ?? 1);
  checkSize(file, dims, channels, bytes, maxBytes, 'MetaImage');
  const dataFile = fields.get('ElementDataFile');
  if (!dataFile) throw new ImageReadError(file, 'corrupt', 'is a MetaImage header without ElementDataFile');
  const expected = dims.reduce((a, b) => a * b, 1) * channels * bytes;
  const compressed = /^true$/i.test(fields.get('CompressedData') ?? 'False');
  if (dataFile === 'LOCAL') checkData(file, raw.subarray(dataStart), expected, compressed, 'in the file');
  else if (!/^LIST|%/.test(dataFile)) checkData(file, readDataFile(file, dataFile), expected, compressed, `in ${dataFile}`);
}
