/**
 * Explanation files for the CLI: PNG overlays (a 2D image, or the middle slice of each axis of a
 * volume) and, for volumes, NIfTI maps on the image's own geometry. Every file is written
 * atomically.
 */
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../data/atomicWrite';
import { encodeNiftiGz } from '../data/writers/nifti';
import type { Mat3, Vec3 } from '../formats/geometry';
import type { ExplainImage } from './image';
import { autoZoom, composeOverlay, middleSlice, rangeOf, upscale, wholePlane, type Axis, type Rgba } from './overlay';

const AXES: Axis[] = ['axial', 'coronal', 'sagittal'];

/** PNG bytes, enlarged by `zoom` (default: enough for a 256 px shorter side). */
export function encodePng(picture: Rgba, zoom?: number): Uint8Array {
  const img = upscale(picture, zoom ?? autoZoom(picture.width, picture.height));
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}

/** The first time point of an image's voxels as float32, and its spatial dims [x, y, z]. */
function firstVolume(img: ExplainImage): { data: Float32Array; dims: number[] } {
  const [w = 1, h = 1, d = 1] = img.dims;
  const n = w * h * d * img.components;
  return { data: Float32Array.from(img.data.subarray(0, n) as ArrayLike<number>), dims: [w, h, d] };
}

/**
 * Writes `<stem>.png` (2D) or `<stem>.<axis>.png` for each axis plus `<stem>.nii.gz` (3D) for a
 * heat map in [0, 1] on the image's grid; PNGs enlarged by `zoom` (default: auto). Returns the paths.
 */
export async function writeHeatmapFiles(outDir: string, stem: string, img: ExplainImage, heat: Float32Array, is3d: boolean, zoom?: number): Promise<string[]> {
  const vol = firstVolume(img);
  const range = rangeOf(vol.data);
  const files: string[] = [];
  if (!is3d) {
    const f = path.join(outDir, `${stem}.png`);
    await writeFileAtomic(f, encodePng(composeOverlay(wholePlane(vol.data, vol.dims, img.components), range, wholePlane(heat, vol.dims, 1)), zoom));
    return [f];
  }
  for (const axis of AXES) {
    const f = path.join(outDir, `${stem}.${axis}.png`);
    const base = middleSlice(vol.data, vol.dims, img.components, axis);
    await writeFileAtomic(f, encodePng(composeOverlay(base, range, middleSlice(heat, vol.dims, 1, axis)), zoom));
    files.push(f);
  }
  const nii = path.join(outDir, `${stem}.nii.gz`);
  await writeFileAtomic(nii, encodeNiftiGz({ data: heat, dims: vol.dims, spacing: img.spacing, origin: img.origin, direction: img.direction, description: 'MedStudio heatmap' }));
  files.push(nii);
  return files;
}

/**
 * The optimised image of kernel interpretation, on the model's input grid: a PNG (2D) or the
 * middle slices plus a NIfTI whose geometry covers the same anatomy as the source image (3D).
 */
export async function writeKernelImageFiles(
  outDir: string,
  stem: string,
  data: Float32Array,
  dims: number[],
  channels: number,
  source: ExplainImage,
  is3d: boolean,
  zoom?: number,
): Promise<string[]> {
  const range = rangeOf(data);
  if (!is3d) {
    const f = path.join(outDir, `${stem}.png`);
    await writeFileAtomic(f, encodePng(composeOverlay(wholePlane(data, dims, channels), range, null), zoom));
    return [f];
  }
  const files: string[] = [];
  for (const axis of AXES) {
    const f = path.join(outDir, `${stem}.${axis}.png`);
    await writeFileAtomic(f, encodePng(composeOverlay(middleSlice(data, dims, channels, axis), range, null), zoom));
    files.push(f);
  }
  const grey = new Float32Array(data.length / channels);
  for (let i = 0; i < grey.length; i++) grey[i] = data[i * channels]!;
  const nii = path.join(outDir, `${stem}.nii.gz`);
  const g = gridGeometry(source, dims);
  await writeFileAtomic(nii, encodeNiftiGz({ data: grey, dims, ...g, description: 'MedStudio kernel interpretation' }));
  files.push(nii);
  return files;
}

/**
 * Geometry of a resampled grid covering the same box as `img`: spacing scaled by the size ratio,
 * origin moved so the half-voxel borders of both grids coincide.
 */
export function gridGeometry(img: ExplainImage, dims: number[]): { spacing: Vec3; origin: Vec3; direction: Mat3 } {
  const ratio = [0, 1, 2].map((a) => (img.dims[a] ?? 1) / (dims[a] ?? 1));
  const spacing = [0, 1, 2].map((a) => img.spacing[a]! * ratio[a]!) as Vec3;
  const shiftIdx = ratio.map((r) => 0.5 * r - 0.5);
  const d = img.direction;
  const origin = [0, 1, 2].map((row) => img.origin[row]! + [0, 1, 2].reduce((acc, c) => acc + d[row * 3 + c]! * img.spacing[c]! * shiftIdx[c]!, 0)) as Vec3;
  return { spacing, origin, direction: img.direction };
}
