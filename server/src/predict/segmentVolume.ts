/**
 * A segmenter's label map for one volume (the U-Net, or a ViT trained with data.patch), in the
 * volume's own grid: the voxels are put in the canonical frame (orientation.ts), resampled to
 * the spacing it trained at (the U-Net's plan, the ViT's data.spacing), normalised as in training,
 * predicted by overlapping Gaussian-weighted sliding windows a window-deep slab at a time
 * (memory does not grow with the volume's depth), then resampled back (nearest) and put back
 * in the input's axis order, so the map overlays the input voxel for voxel with its geometry.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MedImage } from '../data/readers';
import { canonicalAxes, canonicalDims, canonicalGeometry, inverseAxes, isIdentity, reorient, type Dims3 } from '../data/volumes/orientation';
import { mirroredPredict, slidingWindowLabels } from '../eval/slidingWindow';
import { keepLargestComponent } from '../transforms/largestComponent';
import { resizeLinear } from '../transforms/resample';

type Triple = [number, number, number];

/** What sliding-window prediction needs of a trained segmenter. */
export interface VolumeSegmenter {
  classes: string[];
  /** Spacing [D, H, W] mm the network saw, or null: the volume's own. */
  spacing: Triple | null;
  /** Window size [D, H, W]. */
  patch: Triple;
  mirror: boolean;
  overlap: number;
  largestComponent: boolean;
  /** Raw intensities [D, H, W] at `spacing` -> the network's input scale, as in training. */
  normalise(voxels: Float32Array, shape: Triple): Float32Array;
  /** [B, ...patch, 1] -> logits [B, ...patch, K]. */
  logits(x: tf.Tensor5D): tf.Tensor5D;
}

export interface SegmentOptions {
  /** Mirroring test-time augmentation (default: as the run was evaluated). */
  mirror?: boolean;
  /** Window overlap (default: the run's). */
  overlap?: number;
  largestComponent?: boolean;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

export interface VolumeSegmentation {
  /** Label per voxel, in the input's own grid and axis order (x fastest). */
  labels: Uint8Array;
  dims: Dims3;
  /** Voxels per class, by class index. */
  counts: number[];
  /** The grid the network saw: [D, H, W] at the plan's spacing. */
  networkGrid: Triple;
  windows: number;
}

/** Nearest-neighbour resize of a label map [D, H, W] (half-voxel centres, as resizeNearest). */
export function resizeLabels(labels: Uint8Array, from: Triple, to: Triple): Uint8Array {
  if (from.every((v, i) => v === to[i])) return labels;
  const out = new Uint8Array(to[0] * to[1] * to[2]);
  const pick = (o: number, inSize: number, outSize: number) => Math.min(inSize - 1, Math.floor(((o + 0.5) * inSize) / outSize));
  const xs = Int32Array.from({ length: to[2] }, (_, x) => pick(x, from[2], to[2]));
  let o = 0;
  for (let z = 0; z < to[0]; z++) {
    const sz = pick(z, from[0], to[0]);
    for (let y = 0; y < to[1]; y++) {
      const row = (sz * from[1] + pick(y, from[1], to[1])) * from[2];
      for (let x = 0; x < to[2]; x++) out[o++] = labels[row + xs[x]!]!;
    }
  }
  return out;
}

/** First component of every voxel as float32 (a scalar volume's own values). */
function scalarVoxels(img: MedImage): Float32Array {
  const n = img.dims[0]! * img.dims[1]! * img.dims[2]!;
  const out = new Float32Array(n);
  const c = img.components;
  for (let i = 0; i < n; i++) out[i] = Number(img.data[i * c]);
  return out;
}

export async function segmentVolume(m: VolumeSegmenter, img: MedImage, o: SegmentOptions = {}): Promise<VolumeSegmentation> {
  if (img.spatialDims !== 3 || (img.dims[2] ?? 1) < 2) throw new Error(`${img.path} is a 2D image (${img.dims.slice(0, 2).join('x')}); this model segments 3D volumes`);
  if ((img.dims[3] ?? 1) > 1) throw new Error(`${img.path} is a 4D series (${img.dims.join('x')}); pick one volume of it`);
  const dims = img.dims.slice(0, 3) as Dims3;
  const axes = canonicalAxes(img.direction);
  let voxels = scalarVoxels(img);
  if (!isIdentity(axes)) voxels = reorient(voxels, dims, axes);
  const cdims = canonicalDims(dims, axes);
  const geo = canonicalGeometry(img, dims, axes);
  // [D, H, W] order, as the plan.
  const shape: Triple = [cdims[2], cdims[1], cdims[0]];
  const spacing: Triple = [geo.spacing[2], geo.spacing[1], geo.spacing[0]];
  const target = m.spacing ?? spacing;
  const grid = shape.map((n, a) => Math.max(1, Math.round((n * spacing[a]!) / target[a]!))) as Triple;
  if (grid.some((v, a) => v !== shape[a])) voxels = resizeLinear({ data: voxels, shape, channels: 1 }, grid).data;
  voxels = m.normalise(voxels, grid);
  const K = m.classes.length;
  const logits = (x: tf.Tensor5D) => m.logits(x);
  const mirror = o.mirror ?? m.mirror;
  const predict = mirror ? mirroredPredict(logits, [1, 2, 3]) : (x: tf.Tensor5D) => tf.tidy(() => tf.softmax(logits(x)) as tf.Tensor5D);
  let windows = 0;
  let labels = await slidingWindowLabels(voxels, grid, predict, {
    patch: m.patch,
    classes: K,
    overlap: o.overlap ?? m.overlap,
    batchSize: o.batchSize ?? 1,
    signal: o.signal,
    onProgress: (done, total) => {
      windows = total;
      o.onProgress?.(done, total);
    },
  });
  if (o.largestComponent ?? m.largestComponent) labels = Uint8Array.from(keepLargestComponent(Int32Array.from(labels), grid, K));
  labels = resizeLabels(labels, grid, shape);
  if (!isIdentity(axes)) labels = reorient(labels, cdims, inverseAxes(axes));
  const counts = new Array<number>(K).fill(0);
  for (const v of labels) counts[v]!++;
  return { labels, dims, counts, networkGrid: grid, windows };
}
