/**
 * Classification datasets for training (CARE, supervised, MoCo/DisCo probes, GL-MAE
 * fine-tuning): one API over a folder per class, a CSV manifest and a MedMNIST .npz, 2D and 3D.
 *
 *   const ds = await loadClassificationDataset({ format: 'csv', path: 'samples/skin-lesions/labels.csv', inputSize: 32, seed: 1 });
 *   for await (const { x, y, samples } of ds.batches('train', { batchSize: 32, shuffle: true, seed: 1, epoch, augment: true })) {
 *     ...train on x [B, H, W, C] (float32 in [0, 1]) and y [B] (int32 class indices)...
 *     tf.dispose([x, y]);
 *   }
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CocoDataset } from '../../formats/coco';
import { augment as augmentVolume, type AugmentOptions } from '../../transforms/augment';
import { createRng, deriveSeed } from '../../transforms/rng';
import { readImage } from '../readers';
import { chunk, epochOrder, prefetched, type OrderOptions } from './batches';
import { boxMask as rasterBoxes, loadBoxIndex, npzImagePath, type BoxIndex, type InputBox } from './boxes';
import { inputShape, toModelInput, type InputGeometry, type Intensity, type RawImage } from './preprocess';
import { csvSource, DatasetError, folderSource, npzSource, type Source, type SourceItem } from './sources';
import { countByClass, describeImbalance, stratifiedSplit, type ClassCounts, type Split } from './splits';

export interface ClassificationDatasetSpec {
  /** 'images' (image + mask pairs, segmentation2d.ts) is refused here with a message saying so. */
  format: 'folder' | 'csv' | 'npz' | 'images';
  /** The class folder root, the CSV manifest, or the .npz file. */
  path: string;
  /** Class names in label order. Default: the COCO categories' order when a boxes file covers every label, else sorted names (npz: '0', '1', ...). */
  classes?: string[];
  /** Edge length of the model input (every spatial axis). */
  inputSize: number;
  /** Input channels; default 3 for colour sources, 1 for grey ones. */
  channels?: 1 | 3;
  /** Seeds the split when the data has none (and nothing else: batches take their own seed). */
  seed: number;
  /** Fractions for the seeded stratified split, used only when the data gives no split (default 0.15 each). */
  valFraction?: number;
  testFraction?: number;
  /** How stored values map to [0, 1] (default 'auto'; use { window: [-1000, 400] } for CT). */
  intensity?: Intensity;
  /** COCO boxes file. Default: boxes.coco.json beside the CSV / in the folder, if there is one. false: no boxes. */
  boxes?: string | false;
  /** Keep only this many training samples (few-label fine-tuning), chosen seeded and per class in turn; 0 = all. */
  labelled?: number;
  /** Decoded inputs kept in memory across epochs, in bytes (default 256 MiB; 0 disables). */
  cacheBytes?: number;
}

export interface DatasetSample {
  /** Stable id: the path relative to the manifest/folder, or "<split>/<index>" for npz. */
  id: string;
  /** Absolute file path (folder and CSV datasets). */
  path?: string;
  /** Class index into `classes`. */
  label: number;
  split: Split;
  /** COCO image id of this file in the dataset's boxes file, when it has an entry. */
  imageId?: number;
}

export interface ClassificationBatchOptions extends OrderOptions {
  batchSize: number;
  /** Seeded random flips, shifts, rotations, intensity jitter; true = DEFAULT_AUGMENT. */
  augment?: boolean | AugmentOptions;
  dropLast?: boolean;
  /** Also yield `mask`: 1 inside the sample's lesion boxes (same geometric augmentation as x). 2D only. */
  boxMask?: boolean;
  /** Sample ids left out of the epoch (a cleaning fold's held-out images). */
  skip?: ReadonlySet<string>;
}

export interface ClassificationBatch {
  /** [B, H, W, C] or [B, D, H, W, C], float32 in [0, 1]. The caller disposes it. */
  x: tf.Tensor;
  /** [B] int32 class indices. The caller disposes it. */
  y: tf.Tensor1D;
  /** [B, H, W, 1] box masks when asked for (all zero for samples without boxes). The caller disposes it. */
  mask?: tf.Tensor4D;
  /** Whether each sample has at least one box (so all-zero masks can be told from misses). */
  hasBox?: boolean[];
  samples: DatasetSample[];
}

export interface ClassificationDataset {
  classes: string[];
  spatialDims: 2 | 3;
  /** One sample's input: [H, W, C] or [D, H, W, C]. */
  inputShape: number[];
  samples: DatasetSample[];
  /** counts[split][classIndex]. */
  counts: ClassCounts;
  /** One sentence on the class balance, naming rare classes (<= 5%). */
  imbalance: string;
  /** Class share of all samples, by class index (for picking rare classes). */
  shares: number[];
  /** The COCO boxes matched to this dataset, if any. */
  boxes?: CocoDataset;
  /** Where the split came from: the data itself, or the seeded stratified split. */
  splitSource: 'given' | 'stratified';
  split(s: Split): DatasetSample[];
  /** Decoded, normalised, resized input of one sample (no augmentation). */
  load(sample: DatasetSample): Promise<Float32Array>;
  /** The sample's boxes in input pixels ([] when it has none). */
  boxesOf(sample: DatasetSample): InputBox[];
  /** Streams batches of one split; see ClassificationBatchOptions. */
  batches(s: Split, opts: ClassificationBatchOptions): AsyncGenerator<ClassificationBatch>;
  /** How many batches batches(s, opts) yields. */
  batchCount(s: Split, opts: ClassificationBatchOptions): number;
}

/** Layout of an npz dataset's image arrays. */
interface NpzLayout {
  spatialDims: 2 | 3;
  /** [x, y, z] of one image. */
  dims: [number, number, number];
  components: number;
}

function npzLayout(file: string, shape: readonly number[]): NpzLayout {
  const s = shape.slice(1);
  if (s.length === 2) return { spatialDims: 2, dims: [s[1]!, s[0]!, 1], components: 1 };
  if (s.length === 3) {
    const last = s[2]!;
    // (N, H, W, C) with few channels vs (N, D, H, W) volumes.
    if ([1, 3, 4].includes(last) && last !== s[1]) return { spatialDims: 2, dims: [s[1]!, s[0]!, 1], components: last };
    return { spatialDims: 3, dims: [s[2]!, s[1]!, s[0]!], components: 1 };
  }
  if (s.length === 4) return { spatialDims: 3, dims: [s[2]!, s[1]!, s[0]!], components: s[3]! };
  throw new DatasetError(file, `image arrays of shape (${shape.join(', ')}) are neither 2D (N, H, W[, C]) nor 3D (N, D, H, W[, C])`);
}

function findDefaultBoxes(home: string): string | undefined {
  const p = path.join(home, 'boxes.coco.json');
  return fs.existsSync(p) ? p : undefined;
}

function chooseClasses(spec: ClassificationDatasetSpec, src: Source, boxes: BoxIndex | undefined): string[] {
  const names = [...new Set(src.items.map((i) => i.label))];
  if (src.numericLabels) {
    // npz labels are class indices; names come from the spec or are the indices themselves.
    const max = Math.max(...names.map(Number));
    if (spec.classes && spec.classes.length <= max) throw new DatasetError(spec.path, `has label index ${max} but classes names only ${spec.classes.length} (${spec.classes.join(', ')})`);
    return spec.classes ? [...spec.classes] : Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  if (spec.classes) {
    const unknown = names.filter((n) => !spec.classes!.includes(n));
    if (unknown.length) throw new DatasetError(spec.path, `has labels ${unknown.slice(0, 5).join(', ')} that are not in classes (${spec.classes.join(', ')})`);
    return [...spec.classes];
  }
  const cats = boxes?.coco.categories.map((c) => c.name);
  if (cats && names.every((n) => cats.includes(n))) return cats;
  return names.sort();
}

/** Seeded, class by class in turn, so a few labels still cover every class. */
function keepLabelled(samples: DatasetSample[], n: number, seed: number): DatasetSample[] {
  const train = samples.filter((s) => s.split === 'train');
  if (!n || n >= train.length) return samples;
  const rng = createRng(deriveSeed(seed, 0x1abe1));
  const byClass = new Map<number, DatasetSample[]>();
  for (const s of rng.shuffle([...train])) byClass.set(s.label, [...(byClass.get(s.label) ?? []), s]);
  const keep = new Set<DatasetSample>();
  const queues = [...byClass.keys()].sort((a, b) => a - b).map((k) => byClass.get(k)!);
  while (keep.size < n) for (const q of queues) if (q.length && keep.size < n) keep.add(q.shift()!);
  return samples.filter((s) => s.split !== 'train' || keep.has(s));
}

/**
 * Opens a classification dataset: lists its samples, assigns splits (given ones honoured, else
 * seeded stratified), counts classes and matches COCO boxes. Pixels are decoded lazily by
 * load() and batches(). Throws DatasetError / CsvError / ImageReadError naming the file.
 */
export async function loadClassificationDataset(spec: ClassificationDatasetSpec): Promise<ClassificationDataset> {
  const root = path.resolve(spec.path);
  if (!(spec.inputSize >= 1)) throw new DatasetError(root, `inputSize must be a positive integer, got ${spec.inputSize}`);
  if (spec.format === 'images') throw new DatasetError(root, "data.format 'images' is image + mask pairs for method segment2d; classification needs 'folder', 'csv' or 'npz'");
  const src = spec.format === 'csv' ? csvSource(root) : spec.format === 'folder' ? folderSource(root) : npzSource(root);
  const boxesFile = spec.boxes === false ? undefined : spec.boxes ? path.resolve(spec.boxes) : findDefaultBoxes(src.home);
  const boxIndex = boxesFile ? loadBoxIndex(boxesFile) : undefined;
  const classes = chooseClasses(spec, src, boxIndex);

  // Geometry: from the npz array shape, or from the first image file.
  let layout: NpzLayout | undefined;
  let spatialDims: 2 | 3;
  let channels: 1 | 3;
  if (src.npz) {
    const first = src.items[0]!;
    const key = first.npzSplit === 'all' ? 'images' : `${first.npzSplit}_images`;
    layout = npzLayout(root, src.npz.get(key)!.shape);
    spatialDims = layout.spatialDims;
    channels = spec.channels ?? (layout.components >= 3 ? 3 : 1);
  } else {
    const probe = await readImage(src.items[0]!.path!);
    spatialDims = probe.spatialDims === 3 && probe.dims[2]! > 1 ? 3 : 2;
    channels = spec.channels ?? (probe.components >= 3 ? 3 : 1);
  }
  const geometry: InputGeometry = { spatialDims, size: spec.inputSize, channels, intensity: spec.intensity ?? 'auto' };

  const labels = src.items.map((i) => (src.numericLabels ? Number(i.label) : classes.indexOf(i.label)));
  const given = src.items.every((i) => i.split);
  const split = given ? src.items.map((i) => i.split!) : stratifiedSplit(labels, spec.seed, spec.valFraction ?? 0.15, spec.testFraction ?? 0.15);
  const itemOf = new Map<DatasetSample, SourceItem>();
  let samples: DatasetSample[] = src.items.map((item, i) => {
    const s: DatasetSample = { id: item.id, label: labels[i]!, split: split[i]! };
    if (item.path) s.path = item.path;
    // Files match their COCO entry by path; npz images by "<file>.npz#<split>/<index>".
    const img = boxIndex?.imageFor(item.path ?? npzImagePath(root, item.id));
    if (img) s.imageId = img.id;
    itemOf.set(s, item);
    return s;
  });
  samples = keepLabelled(samples, spec.labelled ?? 0, spec.seed);
  const counts = countByClass(samples, classes.length);
  const totals = classes.map((_, c) => counts.train[c]! + counts.val[c]! + counts.test[c]!);
  const all = totals.reduce((a, b) => a + b, 0);

  const cache = new Map<DatasetSample, Float32Array>();
  let cacheLeft = spec.cacheBytes ?? 256 * 1024 * 1024;
  const perSample = inputShape(geometry).reduce((a, b) => a * b, 1);

  async function decode(sample: DatasetSample): Promise<Float32Array> {
    const item = itemOf.get(sample);
    if (!item) throw new DatasetError(root, `sample ${sample.id} is not from this dataset`);
    let raw: RawImage;
    if (layout && src.npz) {
      const arr = src.npz.get(item.npzSplit === 'all' ? 'images' : `${item.npzSplit}_images`)!;
      const per = layout.dims[0] * layout.dims[1] * layout.dims[2] * layout.components;
      raw = { data: arr.data.subarray(item.index! * per, (item.index! + 1) * per), dims: layout.dims, components: layout.components, eightBit: arr.dtype.endsWith('u1') };
    } else {
      const img = await readImage(item.path!);
      raw = { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' };
    }
    return toModelInput(raw, geometry, item.path ?? `${root}:${item.id}`);
  }

  /** The cached array itself: only for code here that copies before changing it. */
  async function loadShared(sample: DatasetSample): Promise<Float32Array> {
    const hit = cache.get(sample);
    if (hit) return hit;
    const x = await decode(sample);
    if (cacheLeft >= x.byteLength) {
      cache.set(sample, x);
      cacheLeft -= x.byteLength;
    }
    return x;
  }

  const boxesOf = (s: DatasetSample): InputBox[] => (boxIndex && s.imageId !== undefined ? boxIndex.boxes(s.imageId, spec.inputSize) : []);
  const splitOf = (s: Split) => samples.filter((x) => x.split === s);
  const poolOf = (s: Split, skip?: ReadonlySet<string>) => (skip?.size ? splitOf(s).filter((x) => !skip.has(x.id)) : splitOf(s));
  const shape3 = (): [number, number, number] => (spatialDims === 2 ? [1, spec.inputSize, spec.inputSize] : [spec.inputSize, spec.inputSize, spec.inputSize]);

  const ds: ClassificationDataset = {
    classes,
    spatialDims,
    inputShape: inputShape(geometry),
    samples,
    counts,
    imbalance: describeImbalance(classes, counts),
    shares: totals.map((n) => (all ? n / all : 0)),
    splitSource: given ? 'given' : 'stratified',
    split: splitOf,
    // A copy, so a caller that changes it cannot corrupt the cache.
    load: async (sample) => (await loadShared(sample)).slice(),
    boxesOf,
    batchCount(s, o) {
      const n = o.weights ? (o.epochSize ?? poolOf(s, o.skip).length) : poolOf(s, o.skip).length;
      return o.dropLast ? Math.floor(n / o.batchSize) : Math.ceil(n / o.batchSize);
    },
    async *batches(s, o) {
      const pool = poolOf(s, o.skip);
      const order = epochOrder(pool.map((p) => p.label), o);
      const groups = chunk(order, o.batchSize, o.dropLast);
      const aug = o.augment === true ? {} : o.augment || undefined;
      if (o.boxMask && spatialDims !== 2) throw new DatasetError(root, 'box masks are 2D only (COCO boxes); this dataset is 3D');
      const loadBatch = async (b: number) => {
        const picked = groups[b]!.map((i) => pool[i]!);
        const xs = await Promise.all(picked.map(loadShared));
        const x = new Float32Array(picked.length * perSample);
        const m = o.boxMask ? new Float32Array(picked.length * spec.inputSize * spec.inputSize) : undefined;
        const hasBox: boolean[] = [];
        picked.forEach((sample, k) => {
          const boxes = o.boxMask ? boxesOf(sample) : [];
          hasBox.push(boxes.length > 0);
          const mask = m ? rasterBoxes(boxes, spec.inputSize) : undefined;
          if (aug) {
            // Per-sample stream: the same (seed, epoch, position) always gives the same draw.
            const rng = createRng(deriveSeed(deriveSeed(o.seed ?? 0, o.epoch ?? 0), b * o.batchSize + k + 1));
            const r = augmentVolume({ data: new Float32Array(xs[k]!), shape: shape3(), channels }, rng, spatialDims, aug, mask ? { data: mask, shape: shape3(), channels: 1 } : undefined);
            x.set(r.image.data, k * perSample);
            if (m && r.mask) m.set(r.mask.data, k * spec.inputSize * spec.inputSize);
          } else {
            x.set(xs[k]!, k * perSample);
            if (m && mask) m.set(mask, k * spec.inputSize * spec.inputSize);
          }
        });
        return { picked, x, m, hasBox };
      };
      for await (const b of prefetched(groups.length, loadBatch)) {
        const batch: ClassificationBatch = {
          x: tf.tensor(b.x, [b.picked.length, ...ds.inputShape]),
          y: tf.tensor1d(b.picked.map((p) => p.label), 'int32'),
          samples: b.picked,
        };
        if (b.m) {
          batch.mask = tf.tensor4d(b.m, [b.picked.length, spec.inputSize, spec.inputSize, 1]);
          batch.hasBox = b.hasBox;
        }
        yield batch;
      }
    },
  };
  if (boxIndex) ds.boxes = boxIndex.coco;
  return ds;
}
