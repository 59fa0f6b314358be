/** NIfTI-1 datatype codes and the typed arrays MedStudio maps them to. */

export type NiftiVoxelArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface NiftiDatatype {
  code: number;
  bitpix: number;
  name: string;
  /** Bytes per stored value (RGB24 stores 3 uint8 per voxel: 1 byte, 3 components). */
  bytes: number;
  components: number;
  make: (buffer: ArrayBuffer, offset: number, length: number) => NiftiVoxelArray;
  alloc: (length: number) => NiftiVoxelArray;
}

const T = (code: number, name: string, bytes: number, C: { new (n: number): NiftiVoxelArray; new (b: ArrayBuffer, o: number, n: number): NiftiVoxelArray }, components = 1): NiftiDatatype => ({
  code,
  bitpix: bytes * 8 * components,
  name,
  bytes,
  components,
  make: (b, o, n) => new C(b, o, n),
  alloc: (n) => new C(n),
});

export const NIFTI_DATATYPES: readonly NiftiDatatype[] = [
  T(2, 'uint8', 1, Uint8Array),
  T(4, 'int16', 2, Int16Array),
  T(8, 'int32', 4, Int32Array),
  T(16, 'float32', 4, Float32Array),
  T(64, 'float64', 8, Float64Array),
  T(128, 'uint8', 1, Uint8Array, 3),
  T(256, 'int8', 1, Int8Array),
  T(512, 'uint16', 2, Uint16Array),
  T(768, 'uint32', 4, Uint32Array),
];

export function datatypeByCode(code: number): NiftiDatatype | undefined {
  return NIFTI_DATATYPES.find((t) => t.code === code);
}

/** The NIfTI datatype for a scalar typed array. */
export function datatypeForArray(a: NiftiVoxelArray): NiftiDatatype {
  const name = a instanceof Uint8Array ? 'uint8' : a instanceof Int8Array ? 'int8' : a instanceof Int16Array ? 'int16' : a instanceof Uint16Array ? 'uint16' : a instanceof Int32Array ? 'int32' : a instanceof Uint32Array ? 'uint32' : a instanceof Float32Array ? 'float32' : 'float64';
  return NIFTI_DATATYPES.find((t) => t.name === name && t.components === 1)!;
}

export const NIFTI_HEADER_SIZE = 348;
export const NIFTI_VOX_OFFSET = 352;
