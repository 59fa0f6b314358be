/**
 * The array layout every transform works on: a float volume [D, H, W, C] with x (W) fastest and
 * the C channels of a voxel adjacent — the same order as MedImage voxels and as tfjs NDHWC/NHWC
 * tensors. A 2D image is a volume with D = 1, so 2D and 3D share every function here; the
 * `spatialDims` of the dataset says which axes are real.
 */
export interface Volume {
  data: Float32Array;
  /** [D, H, W]; D = 1 for 2D. */
  shape: [number, number, number];
  channels: number;
}

export function volumeSize(shape: readonly [number, number, number], channels: number): number {
  return shape[0] * shape[1] * shape[2] * channels;
}

export function makeVolume(shape: [number, number, number], channels: number): Volume {
  return { data: new Float32Array(volumeSize(shape, channels)), shape, channels };
}
