/** The one image type every reader returns, whatever the file format. */
import type { ImageGeometry, Mat4 } from '../../formats/geometry';

export type PixelType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type VoxelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
export type ImageFormat = 'nifti' | 'nrrd' | 'metaimage' | 'dicom' | 'dicom-series' | 'png' | 'jpeg';

/**
 * A decoded image with its geometry. Geometry follows ITK in LPS world coordinates (mm):
 * world = origin + direction * diag(spacing) * index, `direction` row-major with the voxel axes
 * as columns. A 2D image has dims [w, h, 1] and spatialDims 2; a 4D series dims [x, y, z, t].
 */
export interface MedImage extends ImageGeometry {
  /** Absolute path of the file (or folder, for a DICOM series). */
  path: string;
  format: ImageFormat;
  /** Voxels, x fastest, then y, z, t; the components of one voxel are adjacent. */
  data: VoxelArray;
  dims: number[];
  spatialDims: 2 | 3;
  /** Values per voxel: 1 scalar, 3 RGB, 4 RGBA, ... */
  components: number;
  pixelType: PixelType;
  /** Index -> world (LPS mm), row-major 4x4. */
  voxelToWorld: Mat4;
  /** World (LPS mm) -> continuous index, row-major 4x4. */
  worldToVoxel: Mat4;
  /** Over all voxels and components. */
  min: number;
  max: number;
  /** Seconds (or the file's unit) between volumes of a 4D series. */
  timeStep?: number;
}

export interface ReadImageOptions {
  /** Refuse images whose decoded voxels would take more bytes than this (default 1 GiB). */
  maxBytes?: number;
  /** Skip the fast paths and read through itk-wasm (for tests that compare the two). */
  forceItk?: boolean;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3;

export const PIXEL_BYTES: Record<PixelType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };
