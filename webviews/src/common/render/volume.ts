/**
 * The in-memory volume every view draws from: a header (ITK geometry, LPS) plus the voxels in
 * their stored type (no float copy: a 512x512x400 int16 CT stays 210 MB, not 420 MB).
 */
import type { VolumeHeader, VoxelType } from '../../../../server/src/protocol/viewer';

export type VoxelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface Volume {
  header: VolumeHeader;
  data: VoxelArray;
  /** Display name (file name). */
  name: string;
}

export const BYTES_PER_VOXEL: Record<VoxelType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };

/** A typed view of `bytes` (copied when the offset is misaligned for the type). */
export function typedView(type: VoxelType, buffer: ArrayBuffer, byteOffset: number, length: number): VoxelArray {
  const size = BYTES_PER_VOXEL[type];
  if (byteOffset % size !== 0) {
    const copy = buffer.slice(byteOffset, byteOffset + length * size);
    return typedView(type, copy, 0, length);
  }
  switch (type) {
    case 'uint8': return new Uint8Array(buffer, byteOffset, length);
    case 'int8': return new Int8Array(buffer, byteOffset, length);
    case 'uint16': return new Uint16Array(buffer, byteOffset, length);
    case 'int16': return new Int16Array(buffer, byteOffset, length);
    case 'uint32': return new Uint32Array(buffer, byteOffset, length);
    case 'int32': return new Int32Array(buffer, byteOffset, length);
    case 'float32': return new Float32Array(buffer, byteOffset, length);
    case 'float64': return new Float64Array(buffer, byteOffset, length);
  }
}

export function voxelCount(h: Pick<VolumeHeader, 'dims' | 'frames' | 'components'>): number {
  return h.dims[0] * h.dims[1] * h.dims[2] * h.frames * h.components;
}

export function voxelBytes(h: Pick<VolumeHeader, 'dims' | 'frames' | 'components' | 'voxelType'>): number {
  return voxelCount(h) * BYTES_PER_VOXEL[h.voxelType];
}

/** The clear message for a volume past the size limit (shown instead of crashing the webview). */
export function tooLargeMessage(name: string, bytes: number, maxBytes: number): string {
  const mb = (b: number) => `${b >= 10 * 1048576 ? Math.round(b / 1048576) : +(b / 1048576).toFixed(1)} MB`;
  return `${name} holds ${mb(bytes)} of voxels, more than the viewer's limit of ${mb(maxBytes)}. Crop or downsample it, or view it frame by frame.`;
}

/** Stored value -> real value of the voxel at flat index `i` (first component). */
export function valueAt(v: Volume, i: number): number {
  return v.data[i]! * v.header.slope + v.header.intercept;
}

/** Flat index of voxel (i, j, k) at frame t, first component. */
export function flatIndex(h: Pick<VolumeHeader, 'dims' | 'components'>, i: number, j: number, k: number, t = 0): number {
  const [nx, ny, nz] = h.dims;
  return (((t * nz + k) * ny + j) * nx + i) * h.components;
}

/**
 * Real-valued percentiles of one frame, from a strided sample (fast on 100M voxels). `available`
 * limits the sample to the voxels loaded so far (a volume still streaming in).
 */
export function percentiles(v: Volume, ps: number[], frame = 0, maxSamples = 1 << 18, available = Infinity): number[] {
  const h = v.header;
  const perFrame = h.dims[0] * h.dims[1] * h.dims[2];
  const n = Math.max(1, Math.min(perFrame, available - frame * perFrame));
  // An odd step avoids sampling the same few columns of every row.
  const step = Math.max(1, Math.floor(n / maxSamples)) | 1;
  const base = frame * perFrame;
  const sample = new Float32Array(Math.ceil(n / step));
  let m = 0;
  for (let i = 0; i < n; i += step) sample[m++] = valueAt(v, (base + i) * h.components);
  const s = sample.subarray(0, m).sort();
  return ps.map((p) => s[Math.min(m - 1, Math.max(0, Math.round((p / 100) * (m - 1))))] ?? 0);
}
