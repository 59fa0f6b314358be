/**
 * 3D volume datasets for segmentation (volume + label map pairs) and for self-supervised
 * pretraining (volumes alone), e.g. samples/ct-nodules (labels 0 background, 1 lung, 2 nodule):
 *
 *   const ds = await loadSegmentationDataset({ path: 'samples/ct-nodules/volumes', labels: 'samples/ct-nodules/labels',
 *     size: 32, seed: 1, intensity: { window: [-1000, 400] }, classes: ['background', 'lung', 'nodule'] });
 *   for await (const { x, y } of ds.batches('train', { batchSize: 2, shuffle: true, seed: 1, epoch, augment: true })) {
 *     ...x [B, D, H, W, 1] float32 in [0, 1], y [B, D, H, W] int32 label values...
 *     tf.dispose([x, y]);
 *   }
 *
 * Volumes are resampled to the size in voxel space (linear for images, nearest for labels);
 * physical spacing is not equalised. Augmentation moves image and labels together.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { augment as augmentVolume, type AugmentOptions } from '../../transforms/augment';
import { resizeLinear, resizeNearest } from '../../transforms/resample';
import { createRng, deriveSeed } from '../../transforms/rng';
import { readImage } from '../readers';
import { chunk, epochOrder, prefetched, type OrderOptions } from './batches';
import { parseCsv } from './csv';
import { normaliseImage, type Intensity } from './preprocess';
import { DatasetError } from './sources';
import { stratifiedSplit, type Split } from './splits';

export interface SegmentationDatasetSpec {
  /** Folder of volumes (NIfTI, NRRD, MetaImage). */
  path: string;
  /** Folder of label maps with the same file names; omit for volumes alone (pretraining). */
  labels?: string;
  /** Output size [D, H, W], or one number for a cube. */
  size: number | [number, number, number];
  seed: number;
  valFraction?: number;
  testFraction?: number;
  /** Default 'auto' (per-volume min-max); CT: { window: [-1000, 400] }. */
  intensity?: Intensity;
  /** Names of label values 0..n-1 (default 'background', '1', '2', ... up to the largest value seen in the first label map). */
  classes?: string[];
  /** CSV (path,split) whose split column assigns splits by file name; a path given here must name every volume. Default: manifest.csv beside the volumes folder, if any and complete. false: seeded split. */
  manifest?: string | false;
  /** Keep only this many training volumes (few-label fine-tuning); 0 = all. */
  labelled?: number;
  /** Decoded volumes kept in memory, bytes (default 256 MiB). */
  cacheBytes?: number;
}

export interface SegmentationSample {
  /** File name of the volume. */
  id: string;
  path: string;
  labelPath?: string;
  split: Split;
}

export interface SegmentationBatchOptions extends Omit<OrderOptions, 'weights'> {
  batchSize: number;
  augment?: boolean | AugmentOptions;
  dropLast?: boolean;
}

export interface SegmentationBatch {
  /** [B, D, H, W, 1] float32 in [0, 1]. The caller disposes it. */
  x: tf.Tensor5D;
  /** [B, D, H, W] int32 label values, when the dataset has labels. The caller disposes it. */
  y?: tf.Tensor4D;
  samples: SegmentationSample[];
}

export interface SegmentationDataset {
  classes: string[];
  /** [D, H, W, 1]. */
  inputShape: [number, number, number, number];
  samples: SegmentationSample[];
  counts: Record<Split, number>;
  split(s: Split): SegmentationSample[];
  load(sample: SegmentationSample): Promise<{ image: Float32Array; label?: Int32Array }>;
  batches(s: Split, opts: SegmentationBatchOptions): AsyncGenerator<SegmentationBatch>;
  batchCount(s: Split, opts: SegmentationBatchOptions): number;
}

const VOLUME_FILE = /\.(nii(\.gz)?|nrrd|nhdr|mha|mhd)$/i;

/**
 * Splits by volume file name from a CSV (path,split). A manifest found beside the volumes applies
 * only where it names every volume; a split file the experiment names (`data.split`) is `strict`:
 * a missing column, an unknown split or a volume it does not name is an error, never a silent
 * fall-back to a seeded split.
 */
export function manifestSplits(file: string, volumesDir: string, names: readonly string[], strict: boolean): Map<string, Split> {
  if (strict && !fs.existsSync(file)) throw new DatasetError(file, 'does not exist (data.split names the CSV of the fixed split)');
  const table = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const p = table.header.indexOf('path');
  const s = table.header.indexOf('split');
  const out = new Map<string, Split>();
  if (p < 0 || s < 0) {
    if (strict) throw new DatasetError(file, `needs the columns path and split (has ${table.header.join(', ')})`);
    return out;
  }
  for (const row of table.rows) {
    const abs = path.resolve(path.dirname(file), row.cells[p] ?? '');
    const split = row.cells[s];
    if (split !== 'train' && split !== 'val' && split !== 'test') {
      if (strict) throw new DatasetError(file, `line ${row.line}: split '${split}' is not train, val or test`);
      continue;
    }
    if (path.dirname(abs) === volumesDir) out.set(path.basename(abs), split);
  }
  const missing = names.filter((n) => !out.has(n));
  if (strict && missing.length) throw new DatasetError(file, `gives no split for ${missing.length} volume(s) of ${volumesDir}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`);
  return missing.length ? new Map() : out;
}

export async function loadSegmentationDataset(spec: SegmentationDatasetSpec): Promise<SegmentationDataset> {
  const dir = path.resolve(spec.path);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DatasetError(dir, 'is not a folder of volumes');
  const labelsDir = spec.labels ? path.resolve(spec.labels) : undefined;
  const names = fs.readdirSync(dir).filter((n) => VOLUME_FILE.test(n)).sort();
  if (!names.length) throw new DatasetError(dir, 'holds no volumes (.nii, .nii.gz, .nrrd, .mha, .mhd)');
  if (labelsDir) {
    const missing = names.filter((n) => !fs.existsSync(path.join(labelsDir, n)));
    if (missing.length) throw new DatasetError(labelsDir, `has no label map for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  const size: [number, number, number] = typeof spec.size === 'number' ? [spec.size, spec.size, spec.size] : spec.size;
  const manifest = spec.manifest === false ? undefined : spec.manifest ? path.resolve(spec.manifest) : [path.join(path.dirname(dir), 'manifest.csv')].find((f) => fs.existsSync(f));
  const given = manifest ? manifestSplits(manifest, dir, names, typeof spec.manifest === 'string') : new Map<string, Split>();
  const splits = given.size ? names.map((n) => given.get(n)!) : stratifiedSplit(names.map(() => 0), spec.seed, spec.valFraction ?? 0.15, spec.testFraction ?? 0.15);
  let samples: SegmentationSample[] = names.map((n, i) => {
    const s: SegmentationSample = { id: n, path: path.join(dir, n), split: splits[i]! };
    if (labelsDir) s.labelPath = path.join(labelsDir, n);
    return s;
  });
  if (spec.labelled) {
    const rng = createRng(deriveSeed(spec.seed, 0x1abe1));
    const keep = new Set(rng.shuffle(samples.filter((s) => s.split === 'train')).slice(0, spec.labelled));
    samples = samples.filter((s) => s.split !== 'train' || keep.has(s));
  }

  let classes = spec.classes;
  if (!classes) {
    let max = 1;
    if (samples[0]?.labelPath) {
      const lab = await readImage(samples[0].labelPath);
      max = Math.max(1, lab.max);
    }
    classes = ['background', ...Array.from({ length: max }, (_, i) => String(i + 1))];
  }

  const cache = new Map<SegmentationSample, { image: Float32Array; label?: Int32Array }>();
  let cacheLeft = spec.cacheBytes ?? 256 * 1024 * 1024;
  const voxels = size[0] * size[1] * size[2];

  /** The cached arrays themselves: only for code here that copies before changing them. */
  async function loadShared(sample: SegmentationSample): Promise<{ image: Float32Array; label?: Int32Array }> {
    const hit = cache.get(sample);
    if (hit) return hit;
    const img = await readImage(sample.path);
    if (img.spatialDims !== 3) throw new DatasetError(sample.path, 'is not a 3D volume');
    const [w, h, d] = img.dims as [number, number, number];
    const normalised = normaliseImage({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, 1, spec.intensity ?? 'auto', 3, sample.path);
    const image = resizeLinear(normalised, size).data;
    const out: { image: Float32Array; label?: Int32Array } = { image };
    if (sample.labelPath) {
      const lab = await readImage(sample.labelPath);
      if (lab.dims[0] !== w || lab.dims[1] !== h || lab.dims[2] !== d) {
        throw new DatasetError(sample.labelPath, `is ${lab.dims.slice(0, 3).join('x')}, its volume ${sample.path} is ${w}x${h}x${d}`);
      }
      const resized = resizeNearest({ data: Float32Array.from(lab.data.subarray(0, w * h * d)), shape: [d, h, w], channels: 1 }, size);
      out.label = Int32Array.from(resized.data);
    }
    const bytes = out.image.byteLength + (out.label?.byteLength ?? 0);
    if (cacheLeft >= bytes) {
      cache.set(sample, out);
      cacheLeft -= bytes;
    }
    return out;
  }

  const splitOf = (s: Split) => samples.filter((x) => x.split === s);
  const ds: SegmentationDataset = {
    classes,
    inputShape: [size[0], size[1], size[2], 1],
    samples,
    counts: { train: splitOf('train').length, val: splitOf('val').length, test: splitOf('test').length },
    split: splitOf,
    // Copies, so a caller that changes them cannot corrupt the cache.
    load: async (sample) => {
      const { image, label } = await loadShared(sample);
      return label ? { image: image.slice(), label: label.slice() } : { image: image.slice() };
    },
    batchCount: (s, o) => (o.dropLast ? Math.floor : Math.ceil)(splitOf(s).length / o.batchSize),
    async *batches(s, o) {
      const pool = splitOf(s);
      const groups = chunk(epochOrder(pool.map(() => 0), o), o.batchSize, o.dropLast);
      const aug = o.augment === true ? {} : o.augment || undefined;
      const loadBatch = async (b: number) => {
        const picked = groups[b]!.map((i) => pool[i]!);
        const items = await Promise.all(picked.map(loadShared));
        const x = new Float32Array(picked.length * voxels);
        const y = labelsDir ? new Int32Array(picked.length * voxels) : undefined;
        items.forEach((it, k) => {
          if (aug) {
            const rng = createRng(deriveSeed(deriveSeed(o.seed ?? 0, o.epoch ?? 0), b * o.batchSize + k + 1));
            const mask = it.label ? { data: Float32Array.from(it.label), shape: size, channels: 1 } : undefined;
            const r = augmentVolume({ data: new Float32Array(it.image), shape: size, channels: 1 }, rng, 3, aug, mask);
            x.set(r.image.data, k * voxels);
            if (y && r.mask) y.set(Int32Array.from(r.mask.data), k * voxels);
          } else {
            x.set(it.image, k * voxels);
            if (y && it.label) y.set(it.label, k * voxels);
          }
        });
        return { picked, x, y };
      };
      for await (const b of prefetched(groups.length, loadBatch)) {
        const batch: SegmentationBatch = { x: tf.tensor5d(b.x, [b.picked.length, size[0], size[1], size[2], 1]), samples: b.picked };
        if (b.y) batch.y = tf.tensor4d(b.y, [b.picked.length, size[0], size[1], size[2]], 'int32');
        yield batch;
      }
    },
  };
  return ds;
}
