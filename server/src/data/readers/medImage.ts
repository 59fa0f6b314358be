/** Builds a MedImage from decoded voxels and geometry: transforms and value range filled in. */
import { voxelToWorldMatrix, worldToVoxelMatrix, type ImageGeometry } from '../../formats/geometry';
import { ImageReadError } from './errors';
import type { ImageFormat, MedImage, PixelType, VoxelArray } from './types';

export function pixelTypeOf(a: VoxelArray): PixelType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Min and max over finite values (NaN and infinities are ignored; 0/0 for an all-NaN image). */
export function valueRange(a: VoxelArray): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity || !Number.isFinite(min) || !Number.isFinite(max)) {
    min = Infinity;
    max = -Infinity;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? { min: 0, max: 0 } : { min, max };
}

export function makeMedImage(fields: {
  path: string;
  format: ImageFormat;
  data: VoxelArray;
  dims: number[];
  spatialDims: 2 | 3;
  components: number;
  geometry: ImageGeometry;
  timeStep?: number;
}): MedImage {
  const { path, data, dims, components, geometry } = fields;
  const expected = dims.reduce((a, b) => a * b, 1) * components;
  if (data.length !== expected) throw new ImageReadError(path, 'corrupt', `has ${data.length} values where ${dims.join('x')}x${components} needs ${expected}`);
  let voxelToWorld: number[];
  let worldToVoxel: number[];
  try {
    voxelToWorld = voxelToWorldMatrix(geometry);
    worldToVoxel = worldToVoxelMatrix(geometry);
  } catch {
    throw new ImageReadError(path, 'corrupt', `has a singular orientation (spacing ${geometry.spacing.join(', ')}, direction ${geometry.direction.join(', ')})`);
  }
  const img: MedImage = {
    path,
    format: fields.format,
    data,
    dims,
    spatialDims: fields.spatialDims,
    components,
    pixelType: pixelTypeOf(data),
    origin: geometry.origin,
    spacing: geometry.spacing,
    direction: geometry.direction,
    voxelToWorld,
    worldToVoxel,
    ...valueRange(data),
  };
  if (fields.timeStep !== undefined) img.timeStep = fields.timeStep;
  return img;
}
