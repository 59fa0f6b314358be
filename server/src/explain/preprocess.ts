/**
 * Image -> model input exactly as training feeds it (server/src/data's normaliseImage: first time
 * point, intensity to [0, 1], channels converted; then the same antialiased linear resize), and
 * the reverse trip for heatmaps: model grid -> the image's own voxel grid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normaliseImage, type Intensity } from '../data/datasets';
import { makeVolume, resizeLinear } from '../transforms';
import type { ExplainImage } from './image';

export interface InputSpec {
  spatialDims: 2 | 3;
  /** [h, w] or [d, h, w]. */
  inputSpatial: number[];
  channels: number;
  intensity: Intensity;
}

/** [D, H, W] of a grid given in tensor axis order ([h, w] or [d, h, w]). */
const asDhw = (grid: number[]): [number, number, number] => (grid.length === 2 ? [1, grid[0]!, grid[1]!] : [grid[0]!, grid[1]!, grid[2]!]);

/** The image's spatial sizes in tensor axis order ([h, w] or [d, h, w]), checked against the model. */
export function imageGrid(img: ExplainImage, spatialDims: 2 | 3): number[] {
  const [w = 1, h = 1, d = 1] = img.dims;
  const imgDims = img.spatialDims === 3 && d > 1 ? 3 : 2;
  if (imgDims !== spatialDims) {
    throw new Error(`${img.path} is a ${imgDims}D image (${img.dims.slice(0, 3).join('x')}), but the model takes ${spatialDims}D input`);
  }
  return spatialDims === 2 ? [h, w] : [d, h, w];
}

/** [1, ...inputSpatial, channels], float32, in [0, 1]. */
export function toModelInput(img: ExplainImage, spec: InputSpec): tf.Tensor {
  imageGrid(img, spec.spatialDims);
  if (spec.channels !== 1 && spec.channels !== 3) throw new Error(`the model takes ${spec.channels} channels; explanations handle 1 (grey) or 3 (RGB)`);
  const raw = { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' };
  const v = resizeLinear(normaliseImage(raw, spec.channels, spec.intensity, spec.spatialDims, img.path), asDhw(spec.inputSpatial));
  return tf.tensor(v.data, [1, ...spec.inputSpatial, spec.channels], 'float32');
}

/** A map on the model grid (x fastest, one value per voxel) resampled to the image's own grid, clamped to [0, 1]. */
export function toImageGrid(map: Float32Array, inputSpatial: number[], img: ExplainImage, spatialDims: 2 | 3): Float32Array {
  const src = makeVolume(asDhw(inputSpatial), 1);
  src.data.set(map);
  const out = resizeLinear(src, asDhw(imageGrid(img, spatialDims))).data;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? 0 : out[i]! > 1 ? 1 : out[i]!;
  return out;
}
