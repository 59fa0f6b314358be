/**
 * NIfTI-1 header -> VolumeHeader (LPS, ITK conventions), the viewer's fast path: no wasm,
 * no copy of the voxels. sform wins over qform (as ITK and NiBabel do); neither -> pixdim.
 */
import type { VolumeHeader, VoxelType } from '../../../../server/src/protocol/viewer';
import { datatypeByCode } from '../../../../server/src/data/nifti/constants';
import { quaternToMat } from '../../../../server/src/data/nifti/quaternion';

export interface NiftiLayout {
  header: VolumeHeader;
  /** Byte offset of the voxels in the (decompressed) file. */
  voxOffset: number;
  littleEndian: boolean;
  /** Bytes per stored value, for byte swapping. */
  valueBytes: number;
}

export const NIFTI1_HEADER_BYTES = 348;

export function parseNiftiHeader(bytes: Uint8Array, name: string): NiftiLayout {
  if (bytes.byteLength < NIFTI1_HEADER_BYTES) throw new Error(`${name}: too short for a NIfTI header (${bytes.byteLength} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  const size = dv.getInt32(0, true);
  if (size !== 348) {
    if (dv.getInt32(0, false) === 348) le = false;
    else if (size === 540 || dv.getInt32(0, false) === 540) throw new Error(`${name}: NIfTI-2 is not supported by the viewer yet; save it as NIfTI-1`);
    else throw new Error(`${name}: not a NIfTI-1 file (sizeof_hdr is ${size}, expected 348)`);
  }
  const magic = String.fromCharCode(bytes[344]!, bytes[345]!, bytes[346]!);
  if (magic !== 'n+1' && magic !== 'ni1') throw new Error(`${name}: bad NIfTI magic '${magic}'`);
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const ndim = i16(40);
  if (ndim < 1 || ndim > 7) throw new Error(`${name}: dim[0] is ${ndim}, expected 1..7`);
  const dim = [1, 2, 3, 4, 5, 6, 7].map((k) => (k <= ndim ? Math.max(1, i16(40 + 2 * k)) : 1));
  if (dim.slice(4).some((d) => d > 1)) throw new Error(`${name}: 5D+ NIfTI (dims ${dim.slice(0, ndim).join('x')}) is not supported`);
  const code = i16(70);
  const dt = datatypeByCode(code);
  if (!dt) throw new Error(`${name}: NIfTI datatype ${code} is not supported (supported: uint8/16/32, int8/16/32, float32/64, RGB24)`);
  const pix = [1, 2, 3].map((k) => Math.abs(f32(76 + 4 * k)) || 1);
  const qfacRaw = f32(76);
  const voxOffset = Math.max(352, Math.round(f32(108)));
  let slope = f32(112);
  let intercept = f32(116);
  if (!Number.isFinite(slope) || slope === 0) {
    slope = 1;
    intercept = 0;
  }
  if (!Number.isFinite(intercept)) intercept = 0;
  const qformCode = i16(252);
  const sformCode = i16(254);
  // The affine in RAS, as columns of voxel axes scaled by spacing.
  let ras: number[]; // row-major 3x4
  if (sformCode > 0) {
    ras = [...[0, 1, 2, 3].map((c) => f32(280 + 4 * c)), ...[0, 1, 2, 3].map((c) => f32(296 + 4 * c)), ...[0, 1, 2, 3].map((c) => f32(312 + 4 * c))];
  } else if (qformCode > 0) {
    const qfac: 1 | -1 = qfacRaw < 0 ? -1 : 1;
    const r = quaternToMat({ b: f32(256), c: f32(260), d: f32(264), qfac });
    const off = [f32(268), f32(272), f32(276)];
    ras = [];
    for (let row = 0; row < 3; row++) ras.push(r[row * 3]! * pix[0]!, r[row * 3 + 1]! * pix[1]!, r[row * 3 + 2]! * pix[2]!, off[row]!);
  } else {
    ras = [pix[0]!, 0, 0, 0, 0, pix[1]!, 0, 0, 0, 0, pix[2]!, 0];
  }
  // RAS -> LPS: negate the first two rows.
  const lps = ras.map((x, i) => (i < 8 ? -x : x) || 0);
  const spacing = [0, 1, 2].map((c) => Math.hypot(lps[c]!, lps[4 + c]!, lps[8 + c]!) || 1) as [number, number, number];
  const direction = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => lps[r * 4 + c]! / spacing[c]!)) as VolumeHeader['direction'];
  const descrip = new TextDecoder().decode(bytes.subarray(148, 228)).replace(/\0.*$/s, '').trim();
  const header: VolumeHeader = {
    dims: [dim[0]!, dim[1]!, dim[2]!],
    frames: dim[3]!,
    components: dt.components,
    spacing,
    origin: [lps[3]!, lps[7]!, lps[11]!],
    direction,
    voxelType: dt.name as VoxelType,
    slope,
    intercept,
    meta: {
      format: `NIfTI-1 (${magic === 'n+1' ? 'single file' : 'pair'}, ${le ? 'little' : 'big'}-endian)`,
      datatype: `${dt.name}${dt.components > 1 ? ` x${dt.components}` : ''} (code ${code})`,
      dim: dim.slice(0, ndim).join(' x '),
      pixdim: pix.map((p) => +p.toFixed(4)).join(' x ') + (ndim > 3 ? ` , TR ${+f32(92).toFixed(4)}` : ''),
      'qform / sform code': `${qformCode} / ${sformCode}`,
      'scl slope / inter': `${slope} / ${intercept}`,
      ...(descrip ? { description: descrip } : {}),
    },
  };
  return { header, voxOffset, littleEndian: le, valueBytes: dt.bytes };
}

/** Swaps big-endian values in place (rare: old Analyze-era files). */
export function swapBytes(bytes: Uint8Array, valueBytes: number): void {
  if (valueBytes === 1) return;
  for (let i = 0; i + valueBytes <= bytes.length; i += valueBytes) {
    for (let a = i, b = i + valueBytes - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
