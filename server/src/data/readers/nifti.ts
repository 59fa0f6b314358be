/**
 * Fast NIfTI-1 reader (.nii, .nii.gz) without itk-wasm: about 10x faster on small volumes, and
 * it catches truncated files that itk-wasm reads silently. Orientation follows ITK's choice
 * between qform and sform; where ITK would need its SVD comparison (the two disagree and the
 * sform is not a scanner transform) it returns null so the caller asks itk-wasm instead.
 */
import { IDENTITY3, type ImageGeometry, type Mat3, type Vec3 } from '../../formats/geometry';
import { datatypeByCode, type NiftiVoxelArray } from '../nifti/constants';
import { quaternToMat } from '../nifti/quaternion';
import { gunzipLimited, InflateLimitError } from '../inflateLimit';
import { checkSize, formatBytes, ImageReadError } from './errors';
import { makeMedImage } from './medImage';
import { gunzipPrefix, isGzip } from './sniff';
import type { MedImage } from './types';

interface Header {
  le: boolean;
  dims: number[];
  datatype: number;
  pixdim: number[];
  voxOffset: number;
  slope: number;
  inter: number;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: Vec3;
  srow: number[];
}

function parseHeader(file: string, b: Uint8Array): Header | null {
  if (b.length < 348) throw new ImageReadError(file, 'truncated', `NIfTI header is ${b.length} bytes, needs 348`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = v.getInt32(0, true) === 348 ? true : v.getInt32(0, false) === 348 ? false : null;
  if (le === null) {
    if (v.getInt32(0, true) === 540 || v.getInt32(0, false) === 540) return null; // NIfTI-2: itk-wasm reads it
    throw new ImageReadError(file, 'corrupt', 'is not a NIfTI-1 file (sizeof_hdr is not 348)');
  }
  const magic = new TextDecoder('latin1').decode(b.subarray(344, 347));
  if (magic === 'ni1') return null; // a .hdr/.img pair: itk-wasm finds the .img
  if (magic !== 'n+1') throw new ImageReadError(file, 'corrupt', `has NIfTI magic ${JSON.stringify(magic)}, expected "n+1"`);
  const ndim = v.getInt16(40, le);
  if (ndim < 1 || ndim > 7) throw new ImageReadError(file, 'corrupt', `has dim[0] = ${ndim}, must be 1..7`);
  const dims = Array.from({ length: ndim }, (_, i) => v.getInt16(42 + 2 * i, le));
  const f = (o: number) => v.getFloat32(o, le);
  return {
    le,
    dims,
    datatype: v.getInt16(70, le),
    pixdim: Array.from({ length: 8 }, (_, i) => f(76 + 4 * i)),
    voxOffset: f(108),
    slope: f(112),
    inter: f(116),
    qformCode: v.getInt16(252, le),
    sformCode: v.getInt16(254, le),
    quatern: [f(256), f(260), f(264)],
    qoffset: [f(268), f(272), f(276)],
    srow: Array.from({ length: 12 }, (_, i) => f(280 + 4 * i)),
  };
}

const RAS_TO_LPS = (m: Mat3): Mat3 => [-m[0], -m[1], -m[2], -m[3], -m[4], -m[5], m[6], m[7], m[8]];

/** The 3x3 (columns scaled by spacing) and translation of the qform, in RAS. */
function qform(h: Header, spacing: Vec3): { m: Mat3; t: Vec3 } {
  const qfac = h.pixdim[0]! < 0 ? -1 : 1;
  const r = quaternToMat({ b: h.quatern[0], c: h.quatern[1], d: h.quatern[2], qfac });
  const m = r.map((x, i) => x * spacing[i % 3]!) as Mat3;
  return { m, t: h.qoffset };
}

function sform(h: Header): { m: Mat3; t: Vec3 } {
  const s = h.srow;
  return { m: [s[0]!, s[1]!, s[2]!, s[4]!, s[5]!, s[6]!, s[8]!, s[9]!, s[10]!], t: [s[3]!, s[7]!, s[11]!] };
}

/** Direction (unit columns) of a scaled 3x3, or null when its columns are not orthonormal. */
function orthonormalDirection(m: Mat3): Mat3 | null {
  const norms = [0, 1, 2].map((c) => Math.hypot(m[c]!, m[3 + c]!, m[6 + c]!));
  if (norms.some((n) => !(n > 0))) return null;
  const d = m.map((x, i) => x / norms[i % 3]!) as Mat3;
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      if (Math.abs(d[a]! * d[b]! + d[3 + a]! * d[3 + b]! + d[6 + a]! * d[6 + b]!) > 1e-4) return null;
    }
  }
  return d;
}

function geometry(h: Header): ImageGeometry | null {
  const spacing: Vec3 = [0, 1, 2].map((i) => (h.dims.length > i ? Math.abs(h.pixdim[i + 1]!) || 1 : 1)) as Vec3;
  const q = h.qformCode > 0 ? qform(h, spacing) : null;
  const s = h.sformCode > 0 ? sform(h) : null;
  let pick: { m: Mat3; t: Vec3 } | null;
  if (!q && !s) return { spacing, origin: [0, 0, 0], direction: IDENTITY3 };
  if (q && s) {
    const agree = q.m.every((x, i) => Math.abs(x - s.m[i]!) <= 1e-5 * Math.max(1, Math.abs(x))) && q.t.every((x, i) => Math.abs(x - s.t[i]!) <= 1e-4);
    if (agree || h.sformCode === 1) pick = orthonormalDirection(s.m) ? s : agree ? q : null;
    else pick = null;
  } else {
    pick = q ?? (orthonormalDirection(s!.m) ? s : null);
  }
  if (!pick) return null;
  const dir = orthonormalDirection(pick.m);
  if (!dir) return null;
  return { spacing, origin: [-pick.t[0], -pick.t[1], pick.t[2]], direction: RAS_TO_LPS(dir) };
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Bytes after the voxel data that a .nii.gz may carry (padding some writers add) before it is refused. */
const TRAILING_SLACK = 1024 * 1024;

/** gunzip with a limit; past it, a 'too-large' error naming the file and what the limit stood for. */
function gunzipOrRefuse(file: string, raw: Uint8Array, limit: number, expected: string): Uint8Array {
  try {
    return gunzipLimited(raw, limit);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof InflateLimitError) throw new ImageReadError(file, 'too-large', `decompresses to more than ${formatBytes(limit)}, but ${expected}; refused as damaged or a decompression bomb`);
    if (/unexpected end/i.test(msg)) throw new ImageReadError(file, 'truncated', 'is a truncated gzip stream (the file was cut short)');
    throw new ImageReadError(file, 'corrupt', `cannot be decompressed: ${msg}`);
  }
}

/**
 * Reads a single-file NIfTI-1 image; returns null for variants it leaves to itk-wasm (NIfTI-2,
 * .hdr/.img pairs, more than 4 dimensions, unusual orientation headers).
 */
export function readNiftiFast(file: string, raw: Uint8Array, maxBytes: number): MedImage | null {
  const gz = isGzip(raw);
  const head = gz ? gunzipPrefix(raw.subarray(0, 8192)) : raw;
  const h = parseHeader(file, head);
  if (!h) {
    // Left to itk-wasm (NIfTI-2, .hdr/.img), which inflates without a limit: bound it here.
    if (gz) gunzipOrRefuse(file, raw, maxBytes + TRAILING_SLACK, 'the size limit');
    return null;
  }
  const type = datatypeByCode(h.datatype);
  if (!type) throw new ImageReadError(file, 'unsupported', `has NIfTI datatype ${h.datatype}, which MedStudio does not read`);
  if (h.dims.some((d) => d < 1)) throw new ImageReadError(file, 'corrupt', `has invalid dimensions ${h.dims.join('x')}`);
  const dims = [...h.dims];
  while (dims.length < 3) dims.push(1);
  const rescale = h.slope !== 0 && Number.isFinite(h.slope) && (h.slope !== 1 || h.inter !== 0);
  // Checked for every variant, also those left to itk-wasm (which would inflate without a limit).
  checkSize(file, dims, type.components, Math.max(type.bytes, rescale ? 4 : 0), maxBytes, 'NIfTI image');
  const count = dims.reduce((a, b) => a * b, 1) * type.components;
  const voxStart = Number.isFinite(h.voxOffset) ? Math.min(Math.max(352, Math.floor(h.voxOffset)), maxBytes) : 352;
  const need = voxStart + count * type.bytes;
  let body: Uint8Array;
  if (gz) {
    // The header says how much there is; anything far beyond it is refused, never inflated whole.
    body = gunzipOrRefuse(file, raw, need + TRAILING_SLACK, `its header describes ${formatBytes(need)} (${dims.join('x')} ${type.name})`);
  } else body = raw;
  if (h.dims.length > 4) return null;
  const g = geometry(h);
  if (!g) return null;
  const offset = Math.max(348, Math.floor(h.voxOffset));
  if (body.length < offset + count * type.bytes) {
    throw new ImageReadError(file, 'truncated', `holds ${Math.max(0, body.length - offset)} bytes of voxel data, the header needs ${count * type.bytes} (${dims.join('x')} ${type.name})`);
  }
  const bytes = body.slice(offset, offset + count * type.bytes);
  if (!h.le) swapBytes(bytes, type.bytes);
  let data: NiftiVoxelArray = type.make(bytes.buffer, 0, count);
  if (rescale) {
    // As ITK does: stored values times scl_slope plus scl_inter, as float32.
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = data[i]! * h.slope + h.inter;
    data = out;
  }
  return makeMedImage({
    path: file,
    format: 'nifti',
    data,
    dims,
    spatialDims: h.dims.length === 2 ? 2 : 3,
    components: type.components,
    geometry: g,
    ...(dims.length > 3 ? { timeStep: h.pixdim[4]! } : {}),
  });
}
