/**
 * A minimal DICOM tag reader: the few header fields MedStudio needs to list series and sort
 * slices (series UID, description, modality, position, orientation, size), without decoding
 * pixels. Handles Part-10 files in explicit and implicit VR little endian (and explicit big
 * endian), and skips sequences of defined or undefined length; stops at the pixel data.
 */

export interface DicomHeader {
  seriesInstanceUid?: string;
  studyInstanceUid?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  modality?: string;
  instanceNumber?: number;
  imagePositionPatient?: [number, number, number];
  imageOrientationPatient?: [number, number, number, number, number, number];
  pixelSpacing?: [number, number];
  rows?: number;
  columns?: number;
  numberOfFrames?: number;
  transferSyntax?: string;
  /** True when an element (often the pixel data) runs past the end of the bytes given. */
  truncated?: boolean;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const TAG = (g: number, e: number) => ((g << 16) | e) >>> 0;
const WANTED: Record<number, keyof DicomHeader> = {
  [TAG(0x0020, 0x000e)]: 'seriesInstanceUid',
  [TAG(0x0020, 0x000d)]: 'studyInstanceUid',
  [TAG(0x0008, 0x103e)]: 'seriesDescription',
  [TAG(0x0020, 0x0011)]: 'seriesNumber',
  [TAG(0x0008, 0x0060)]: 'modality',
  [TAG(0x0020, 0x0013)]: 'instanceNumber',
  [TAG(0x0020, 0x0032)]: 'imagePositionPatient',
  [TAG(0x0020, 0x0037)]: 'imageOrientationPatient',
  [TAG(0x0028, 0x0030)]: 'pixelSpacing',
  [TAG(0x0028, 0x0010)]: 'rows',
  [TAG(0x0028, 0x0011)]: 'columns',
  [TAG(0x0028, 0x0008)]: 'numberOfFrames',
  [TAG(0x0002, 0x0010)]: 'transferSyntax',
};
const PIXEL_DATA = TAG(0x7fe0, 0x0010);
const ITEM = TAG(0xfffe, 0xe000);
const ITEM_END = TAG(0xfffe, 0xe00d);
const SEQ_END = TAG(0xfffe, 0xe0dd);
const UNDEFINED = 0xffffffff;

class Reader {
  pos: number;
  constructor(
    readonly v: DataView,
    start: number,
  ) {
    this.pos = start;
  }
  get left() {
    return this.v.byteLength - this.pos;
  }
}

function str(v: DataView, at: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(v.getUint8(at + i));
  return s.replace(/[\0 ]+$/, '').trim();
}

/** Returns the header of a DICOM Part-10 file, or null when `bytes` is not one. */
export function readDicomHeader(bytes: Uint8Array): DicomHeader | null {
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DicomHeader = {};
  const r = new Reader(v, 132);
  // Group 0002 is always explicit VR little endian.
  parseElements(r, out, { explicit: true, le: true }, (tag) => tag >>> 16 !== 0x0002);
  const ts = out.transferSyntax ?? '1.2.840.10008.1.2.1';
  const mode = { explicit: ts !== '1.2.840.10008.1.2', le: ts !== '1.2.840.10008.1.2.2' };
  try {
    parseElements(r, out, mode, (tag) => tag === PIXEL_DATA);
    if (r.left >= 12) {
      // Pixel data of defined length must fit in the file.
      const explicitLen = mode.explicit ? r.v.getUint32(r.pos + 8, mode.le) : r.v.getUint32(r.pos + 4, mode.le);
      if (explicitLen !== UNDEFINED && explicitLen > r.left - (mode.explicit ? 12 : 8)) out.truncated = true;
    } else out.truncated = true;
  } catch (e) {
    if (e instanceof RangeError || (e instanceof Error && /past the end/.test(e.message))) out.truncated = true;
  }
  return out;
}

/** Reads elements until `stop(tag)` is true (the stopping element is not consumed) or bytes end. */
function parseElements(r: Reader, out: DicomHeader, mode: { explicit: boolean; le: boolean }, stop: (tag: number) => boolean, endAt = Infinity): void {
  while (r.left >= 8 && r.pos < endAt) {
    const group = r.v.getUint16(r.pos, mode.le);
    const element = r.v.getUint16(r.pos + 2, mode.le);
    const tag = TAG(group, element);
    if (stop(tag)) return;
    if (tag === ITEM_END || tag === SEQ_END) {
      r.pos += 8;
      return;
    }
    let vr = '';
    let len: number;
    if (mode.explicit && group !== 0xfffe) {
      vr = String.fromCharCode(r.v.getUint8(r.pos + 4), r.v.getUint8(r.pos + 5));
      if (LONG_VRS.has(vr)) {
        len = r.v.getUint32(r.pos + 8, mode.le);
        r.pos += 12;
      } else {
        len = r.v.getUint16(r.pos + 6, mode.le);
        r.pos += 8;
      }
    } else {
      len = r.v.getUint32(r.pos + 4, mode.le);
      r.pos += 8;
    }
    if (len === UNDEFINED) {
      skipUndefined(r, mode);
      continue;
    }
    if (len > r.left) throw new Error('element runs past the end of the file');
    const key = WANTED[tag];
    if (key) assign(out, key, r.v, r.pos, len, vr, mode.le);
    r.pos += len;
  }
}

/** Skips a sequence (or encapsulated data) of undefined length, items nested to any depth. */
function skipUndefined(r: Reader, mode: { explicit: boolean; le: boolean }): void {
  while (r.left >= 8) {
    const tag = TAG(r.v.getUint16(r.pos, mode.le), r.v.getUint16(r.pos + 2, mode.le));
    const len = r.v.getUint32(r.pos + 4, mode.le);
    r.pos += 8;
    if (tag === SEQ_END) return;
    if (tag !== ITEM) throw new Error('malformed sequence');
    if (len === UNDEFINED) parseElements(r, {}, mode, () => false);
    else r.pos += len;
  }
}

function assign(out: DicomHeader, key: keyof DicomHeader, v: DataView, at: number, len: number, vr: string, le: boolean): void {
  const nums = () => str(v, at, len).split('\\').map(Number);
  switch (key) {
    case 'rows':
    case 'columns':
      // US in explicit VR; in implicit VR the dictionary says US too.
      out[key] = len >= 2 ? v.getUint16(at, le) : undefined;
      return;
    case 'seriesNumber':
    case 'instanceNumber':
    case 'numberOfFrames': {
      const n = Number(str(v, at, len));
      if (Number.isFinite(n)) out[key] = n;
      return;
    }
    case 'imagePositionPatient': {
      const n = nums();
      if (n.length === 3 && n.every(Number.isFinite)) out.imagePositionPatient = n as [number, number, number];
      return;
    }
    case 'imageOrientationPatient': {
      const n = nums();
      if (n.length === 6 && n.every(Number.isFinite)) out.imageOrientationPatient = n as DicomHeader['imageOrientationPatient'];
      return;
    }
    case 'pixelSpacing': {
      const n = nums();
      if (n.length === 2 && n.every(Number.isFinite)) out.pixelSpacing = n as [number, number];
      return;
    }
    default:
      void vr;
      (out as Record<string, unknown>)[key] = str(v, at, len);
  }
}
