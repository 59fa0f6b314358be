/** Which format a file is, from its name and from its first bytes (so a wrong extension is caught). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import type { ImageFormat } from './types';

/** The format a file name claims, or null for names MedStudio does not know. */
export function formatFromName(file: string): ImageFormat | null {
  const f = file.toLowerCase();
  if (f.endsWith('.nii') || f.endsWith('.nii.gz') || f.endsWith('.hdr') || f.endsWith('.img') || f.endsWith('.img.gz')) return 'nifti';
  if (f.endsWith('.nrrd') || f.endsWith('.nhdr')) return 'nrrd';
  if (f.endsWith('.mha') || f.endsWith('.mhd')) return 'metaimage';
  if (f.endsWith('.dcm') || f.endsWith('.dicom') || f.endsWith('.ima')) return 'dicom';
  if (f.endsWith('.png')) return 'png';
  if (f.endsWith('.jpg') || f.endsWith('.jpeg')) return 'jpeg';
  return null;
}

/** Decompresses as much of a gzip prefix as it can, without failing on the cut. */
export function gunzipPrefix(bytes: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }));
  } catch {
    return new Uint8Array(0);
  }
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function niftiSizeofHdr(b: Uint8Array): number {
  if (b.length < 4) return 0;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = v.getInt32(0, true);
  const be = v.getInt32(0, false);
  return le === 348 || le === 540 ? le : be === 348 || be === 540 ? be : 0;
}

/** The format the first bytes look like (for gzip, the first bytes inside it), or null. */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const b = isGzip(head) ? gunzipPrefix(head) : head;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (hasDicomMagic(b)) return 'dicom';
  const text = new TextDecoder('latin1').decode(b.subarray(0, 256));
  if (text.startsWith('NRRD000')) return 'nrrd';
  if (/^\s*(ObjectType|NDims|Comment|ObjectSubType|TransformType|DimSize)\s*=/.test(text)) return 'metaimage';
  if (niftiSizeofHdr(b)) return 'nifti';
  return null;
}

export const FORMAT_NAMES: Record<ImageFormat, string> = {
  nifti: 'NIfTI',
  nrrd: 'NRRD',
  metaimage: 'MetaImage',
  dicom: 'DICOM',
  'dicom-series': 'DICOM series',
  png: 'PNG',
  jpeg: 'JPEG',
};

/** "DICM" after the 128-byte preamble. */
function hasDicomMagic(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

/**
 * Whether a file is DICOM, by its name or its magic (series from scanners often have no
 * extension). Reads 132 bytes; itk-free, so the extension host uses it too.
 */
export function isDicomFile(file: string): boolean {
  if (formatFromName(file) === 'dicom') return true;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = new Uint8Array(132);
      return fs.readSync(fd, head, 0, 132, 0) === 132 && hasDicomMagic(head);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The file name without its image extension(s): ct-001.nii.gz -> ct-001. */
export function imageStem(file: string): string {
  return path.basename(file).replace(/\.(nii\.gz|nii|nrrd|nhdr|mha|mhd|dcm|png|jpe?g)$/i, '');
}
