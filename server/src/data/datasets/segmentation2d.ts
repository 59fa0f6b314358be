/**
 * 2D segmentation datasets: a folder of images (PNG/JPEG/...) and a folder of masks or label maps
 * matched by file stem (`<stem>.png`, or `<stem>_lesion.png` as PH2 names them; the rule of
 * boxes/fromMasks.ts). With two classes a mask is binary (any value > 0 is foreground, so 0/255
 * PNGs work); with more, pixel values are the class indices. Images are normalised and resized to
 * the model's input size (linear), masks by nearest neighbour; the masks at their own resolution
 * stay available for scoring. The split comes from a CSV (`data.split`, strict) or is seeded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { masksByStem } from '../../boxes/fromMasks';
import { resizeNearest } from '../../transforms/resample';
import { readImage } from '../readers';
import { toModelInput } from './preprocess';
import { manifestSplits } from './segmentation';
import { DatasetError } from './sources';
import { stratifiedSplit, type Split } from './splits';

const IMAGE_FILE = /\.(png|jpe?g|bmp)$/i;

export interface Segmentation2dSpec {
  /** Folder of images. */
  path: string;
  /** Folder of masks / label maps. */
  labels: string;
  /** Model input side in pixels. */
  size: number;
  /** Input channels (default: 3 when the first image has colour, else 1). */
  channels?: 1 | 3;
  /** Class names, background first (default background + foreground for binary masks). */
  classes?: string[];
  seed: number;
  valFraction?: number;
  testFraction?: number;
  /** CSV (path,split) naming every image: a fixed split. */
  split?: string;
}

export interface Segmentation2dSample {
  id: string;
  path: string;
  maskPath: string;
  split: Split;
}

/** A mask as class indices at its own resolution. */
export interface LabelMap {
  labels: Int32Array;
  width: number;
  height: number;
}

export interface Segmentation2dDataset {
  classes: string[];
  channels: 1 | 3;
  size: number;
  samples: Segmentation2dSample[];
  split(s: Split): Segmentation2dSample[];
  /** Model input [S*S*C] in [0, 1] and labels [S*S] at the input size. */
  load(s: Segmentation2dSample): Promise<{ image: Float32Array; label: Int32Array }>;
  /** The mask at its own resolution (what predictions are scored against). */
  fullLabels(s: Segmentation2dSample): Promise<LabelMap>;
}

/** Class indices of a mask's first colour channel: binary (> 0) for two classes, else the values themselves. */
export function maskLabels(data: ArrayLike<number>, pixels: number, components: number, classes: number, what: string): Int32Array {
  const out = new Int32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const v = data[p * components]!;
    if (classes === 2) out[p] = v > 0 ? 1 : 0;
    else {
      if (!Number.isInteger(v) || v < 0 || v >= classes) throw new DatasetError(what, `pixel value ${v} is not a class index 0..${classes - 1} (data.classes names ${classes} classes)`);
      out[p] = v;
    }
  }
  return out;
}

export async function readLabelMap(file: string, classes: number): Promise<LabelMap> {
  const m = await readImage(file);
  if (m.spatialDims === 3 && (m.dims[2] ?? 1) > 1) throw new DatasetError(file, 'is a 3D volume; segment2d masks are 2D images');
  const [width, height] = [m.dims[0]!, m.dims[1]!];
  return { labels: maskLabels(m.data, width * height, m.components, classes, file), width, height };
}

export async function loadSegmentation2dDataset(spec: Segmentation2dSpec): Promise<Segmentation2dDataset> {
  const dir = path.resolve(spec.path);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DatasetError(dir, 'is not a folder of images (segment2d reads data.path as the image folder)');
  const names = fs.readdirSync(dir).filter((n) => IMAGE_FILE.test(n)).sort();
  if (!names.length) throw new DatasetError(dir, 'holds no images (.png, .jpg, .jpeg, .bmp)');
  const masks = masksByStem(path.resolve(spec.labels));
  const missing = names.filter((n) => !masks.has(n.replace(IMAGE_FILE, '')));
  if (missing.length) throw new DatasetError(path.resolve(spec.labels), `has no mask for ${missing.length} image(s): ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''} (expected <stem>.png or <stem>_<anything>.png)`);
  const given = spec.split ? manifestSplits(path.resolve(spec.split), dir, names, true) : undefined;
  const splits = given ? names.map((n) => given.get(n)!) : stratifiedSplit(names.map(() => 0), spec.seed, spec.valFraction ?? 0.15, spec.testFraction ?? 0.15);
  const samples: Segmentation2dSample[] = names.map((n, i) => ({ id: n, path: path.join(dir, n), maskPath: masks.get(n.replace(IMAGE_FILE, ''))!, split: splits[i]! }));
  for (const s of ['train', 'val', 'test'] as const) {
    if (!samples.some((x) => x.split === s)) throw new DatasetError(dir, `the ${s} split is empty (set data.valFraction / data.testFraction, or give data.split)`);
  }
  const first = await readImage(samples[0]!.path);
  const channels = spec.channels ?? (first.components >= 3 ? 3 : 1);
  let classes = spec.classes;
  if (!classes) {
    const m = await readImage(samples[0]!.maskPath);
    classes = m.max <= 1 || m.max === 255 ? ['background', 'foreground'] : ['background', ...Array.from({ length: m.max }, (_, i) => String(i + 1))];
  }
  if (classes.length < 2) throw new DatasetError(dir, 'segment2d needs at least two classes (background first)');
  const K = classes.length;
  const S = spec.size;
  const cache = new Map<Segmentation2dSample, { image: Float32Array; label: Int32Array }>();
  const load = async (s: Segmentation2dSample) => {
    const hit = cache.get(s);
    if (hit) return hit;
    const img = await readImage(s.path);
    const image = toModelInput({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, { spatialDims: 2, size: S, channels, intensity: 'auto' }, s.path);
    const full = await readLabelMap(s.maskPath, K);
    if (full.width !== img.dims[0] || full.height !== img.dims[1]) throw new DatasetError(s.maskPath, `is ${full.width}x${full.height}, its image ${s.path} is ${img.dims[0]}x${img.dims[1]}`);
    const label = Int32Array.from(resizeNearest({ data: Float32Array.from(full.labels), shape: [1, full.height, full.width], channels: 1 }, [1, S, S]).data);
    const out = { image, label };
    cache.set(s, out);
    return out;
  };
  return {
    classes,
    channels,
    size: S,
    samples,
    split: (s) => samples.filter((x) => x.split === s),
    // Copies: augmentation and callers must not change the cache.
    load: async (s) => {
      const r = await load(s);
      return { image: r.image.slice(), label: r.label.slice() };
    },
    fullLabels: (s) => readLabelMap(s.maskPath, K),
  };
}
