/**
 * NIfTI-1 writer (.nii, or .nii.gz through node:zlib). ITK geometry in LPS goes in as both the
 * qform and the sform (RAS, scanner), so every reader — ITK, nibabel, Slicer, NiiVue — agrees.
 * Output is deterministic: the same image gives the same bytes (the gzip header carries no time).
 */
import { gzipSync } from 'node:zlib';
import type { Mat3, Vec3 } from '../../formats/geometry';
import { datatypeForArray, NIFTI_HEADER_SIZE, NIFTI_VOX_OFFSET, type NiftiVoxelArray } from '../nifti/constants';
import { matToQuatern } from '../nifti/quaternion';

export interface NiftiWriteInput {
  data: NiftiVoxelArray;
  /** x, y, z[, t]; data is x fastest. */
  dims: number[];
  spacing: Vec3;
  /** LPS, as ITK reports it. */
  origin: Vec3;
  /** LPS row-major; columns are the voxel axes. */
  direction: Mat3;
  description?: string;
  /** Seconds between volumes of a 4D series. */
  timeStep?: number;
  /** Stored values are multiplied by this and `intercept` added (NIfTI scl_slope/scl_inter). */
  slope?: number;
  intercept?: number;
  /** Write big-endian (for tests of readers; every tool reads both). */
  bigEndian?: boolean;
}

/** Encodes an uncompressed single-file NIfTI-1 (.nii) image. */
export function encodeNifti(img: NiftiWriteInput): Uint8Array {
  const type = datatypeForArray(img.data);
  const count = img.dims.reduce((a, b) => a * b, 1);
  if (img.dims.length < 1 || img.dims.length > 7) throw new Error(`NIfTI holds 1 to 7 dimensions, got ${img.dims.length}`);
  if (count !== img.data.length) throw new Error(`data length ${img.data.length} does not match dims ${img.dims.join('x')}`);
  const out = new Uint8Array(NIFTI_VOX_OFFSET + count * type.bytes);
  const le = !img.bigEndian;
  const dv = new DataView(out.buffer);
  const v = {
    setInt32: (o: number, x: number) => dv.setInt32(o, x, le),
    setInt16: (o: number, x: number) => dv.setInt16(o, x, le),
    setFloat32: (o: number, x: number) => dv.setFloat32(o, x, le),
  };
  v.setInt32(0, NIFTI_HEADER_SIZE);
  out[38] = 'r'.charCodeAt(0);
  v.setInt16(40, img.dims.length);
  img.dims.forEach((d, i) => v.setInt16(42 + 2 * i, d));
  for (let i = img.dims.length; i < 7; i++) v.setInt16(42 + 2 * i, 1);
  v.setInt16(70, type.code);
  v.setInt16(72, type.bitpix);

  // RAS = diag(-1,-1,1) * LPS: flip the first two rows of the direction and origin.
  const d = img.direction;
  const ras: Mat3 = [-d[0], -d[1], -d[2], -d[3], -d[4], -d[5], d[6], d[7], d[8]];
  const q = matToQuatern(ras);
  v.setFloat32(76, q.qfac);
  img.spacing.forEach((s, i) => v.setFloat32(80 + 4 * i, s));
  v.setFloat32(92, img.timeStep ?? (img.dims.length > 3 ? 1 : 0));
  for (let i = 4; i < 7; i++) v.setFloat32(80 + 4 * i, 1);
  v.setFloat32(108, NIFTI_VOX_OFFSET);
  v.setFloat32(112, img.slope ?? 1); // scl_slope 1: stored values are the values
  v.setFloat32(116, img.intercept ?? 0);
  out[123] = 2 | 8; // mm and seconds
  const desc = new TextEncoder().encode((img.description ?? 'MedStudio').slice(0, 79));
  out.set(desc, 148);
  v.setInt16(252, 1); // qform: scanner anatomical
  v.setInt16(254, 1); // sform: the same, so readers that prefer either agree
  v.setFloat32(256, q.b);
  v.setFloat32(260, q.c);
  v.setFloat32(264, q.d);
  const o: Vec3 = [-img.origin[0], -img.origin[1], img.origin[2]];
  o.forEach((x, i) => v.setFloat32(268 + 4 * i, x));
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) v.setFloat32(280 + 16 * r + 4 * c, ras[r * 3 + c]! * img.spacing[c]!);
    v.setFloat32(280 + 16 * r + 12, o[r]!);
  }
  out.set(new TextEncoder().encode('n+1\0'), 344);
  if (!isLittleEndianHost()) throw new Error('NIfTI writing needs a little-endian host');
  const bytes = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  out.set(bytes, NIFTI_VOX_OFFSET);
  if (!le) {
    for (let i = NIFTI_VOX_OFFSET; i < out.length; i += type.bytes) out.subarray(i, i + type.bytes).reverse();
  }
  return out;
}

/** Encodes a .nii.gz: gzip of encodeNifti with a fixed header (no time, OS byte 'unix'). */
export function encodeNiftiGz(img: NiftiWriteInput, level = 9): Uint8Array {
  return gzipFixed(encodeNifti(img), level);
}

/** gzip with the header's mtime zeroed and OS byte fixed, so output depends only on the input. */
export function gzipFixed(data: Uint8Array, level = 9): Uint8Array {
  const gz = new Uint8Array(gzipSync(data, { level }));
  gz.fill(0, 4, 8);
  gz[9] = 3;
  return gz;
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
