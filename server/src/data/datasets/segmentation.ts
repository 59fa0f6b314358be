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
 * By default volumes are resampled to the size in voxel space (linear for images, nearest for
 * labels): physical spacing is not equalised and a large scan is squashed (said in the log when a
 * volume is over twice the size along an axis). With `spacing` each volume is first put in the
 * canonical voxel frame (volumes/orientation.ts) and resampled to that spacing; with `patch` the
 * (resampled) volumes stay whole, `size` is the patch size, and training draws patches
 * (patchBatches, through volumes/patchSampler.ts) while evaluation takes whole volumes (load) for
 * sliding windows. Metrics are then on the resampled grid. Augmentation moves image and labels
 * together.
 *
 * Memory with `patch`: decoded volumes are kept up to `cacheBytes` (default 256 MiB), and a
 * volume beyond that budget is decoded, cut and released; the tensors a step sees are batch x
 * patch. Peak: the cache, plus the volumes of two batches in decoding (this one and the
 * prefetched next, ceil(batch / patchesPerVolume) each), plus batch x patch.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { augment as augmentVolume, type AugmentOptions } from '../../transforms/augment';
import { resizeLinear, resizeNearest } from '../../transforms/resample';
import { createRng, deriveSeed, type Rng } from '../../transforms/rng';
import { readImage } from '../readers';
import { readCase } from '../volumes/caseVolume';
import { PatchSampler, type Patch } from '../volumes/patchSampler';
import { resampleCase } from '../volumes/spacing';
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
  /** Target voxel spacing [D, H, W] in mm: volumes go to the canonical frame and are resampled to it before anything else. */
  spacing?: [number, number, number];
  /** Keep volumes whole and train on patches of `size` (patchBatches) instead of squashing each volume to `size`. */
  patch?: boolean;
  /** With `patch`: share of patches forced to hold a labelled voxel (default 1/3 with labels, 0 without). */
  foreground?: number;
  /** Notes the user must see (volumes squashed to a much smaller input). */
  log?: (message: string) => void;
}

/** A decoded, normalised volume: at `size` (squashed), or whole at its own or resampled grid (`patch`). */
export interface LoadedVolume {
  image: Float32Array;
  label?: Int32Array;
  /** [D, H, W]. */
  shape: [number, number, number];
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

export interface PatchBatchOptions extends SegmentationBatchOptions {
  /** Patches cut from each decoded volume per step (the batch then needs ceil(batchSize / this) volumes). */
  patchesPerVolume: number;
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
  /** [D, H, W, 1]: the squashed volume, or with `patch` the patch. */
  inputShape: [number, number, number, number];
  /** Volumes kept whole (spec.patch): batches() refuses; patchBatches() trains, load() gives whole volumes. */
  patched: boolean;
  samples: SegmentationSample[];
  counts: Record<Split, number>;
  split(s: Split): SegmentationSample[];
  load(sample: SegmentationSample): Promise<LoadedVolume>;
  batches(s: Split, opts: SegmentationBatchOptions): AsyncGenerator<SegmentationBatch>;
  batchCount(s: Split, opts: SegmentationBatchOptions): number;
  /** With `patch`: `n` patches from `samples` in turn; the last round(n x foreground) (at least one when foreground > 0) around a labelled voxel. */
  patches(samples: SegmentationSample[], n: number, rng: Rng): Promise<Patch[]>;
  patchBatches(s: Split, opts: PatchBatchOptions): AsyncGenerator<SegmentationBatch>;
  patchBatchCount(s: Split, opts: PatchBatchOptions): number;
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

  const cache = new Map<SegmentationSample, LoadedVolume>();
  let cacheLeft = spec.cacheBytes ?? 256 * 1024 * 1024;
  const voxels = size[0] * size[1] * size[2];
  const intensity = spec.intensity ?? 'auto';
  const canonical = spec.spacing !== undefined || spec.patch === true;
  if (spec.spacing && (spec.spacing.length !== 3 || spec.spacing.some((v) => !(v > 0)))) throw new DatasetError(dir, `spacing must be three positive mm values [D, H, W], got [${spec.spacing.join(', ')}]`);
  let squashNoted = false;
  /** Says once that whole volumes are squashed into the input (never silently). */
  const noteSquash = (sample: SegmentationSample, shape: readonly number[]) => {
    if (squashNoted || !shape.some((n, a) => n > 2 * size[a]!)) return;
    squashNoted = true;
    spec.log?.(`volumes are squashed to ${size.join('x')} voxels (${sample.id} is ${shape.join('x')} [D, H, W]${spec.spacing ? ` at ${spec.spacing.join('x')} mm` : ''}): detail is lost; data.patch: true trains on patches of the input size instead`);
  };

  /** Canonical frame, then the target spacing, then intensity: whole volumes ([D, H, W]). */
  async function readCanonical(sample: SegmentationSample): Promise<LoadedVolume> {
    const c = await readCase(sample.id, sample.path, sample.labelPath);
    const r = spec.spacing ? resampleCase(c, spec.spacing) : c;
    const [D, H, W] = r.shape;
    const image = normaliseImage({ data: r.image, dims: [W, H, D], components: 1, eightBit: false }, 1, intensity, 3, sample.path).data;
    return r.label ? { image, label: r.label, shape: r.shape } : { image, shape: r.shape };
  }

  /** The cached arrays themselves: only for code here that copies before changing them. */
  async function loadShared(sample: SegmentationSample): Promise<LoadedVolume> {
    const hit = cache.get(sample);
    if (hit) return hit;
    let out: LoadedVolume;
    if (canonical) {
      const whole = await readCanonical(sample);
      if (spec.patch) out = whole;
      else {
        noteSquash(sample, whole.shape);
        out = { image: resizeLinear({ data: whole.image, shape: whole.shape, channels: 1 }, size).data, shape: size };
        if (whole.label) out.label = Int32Array.from(resizeNearest({ data: Float32Array.from(whole.label), shape: whole.shape, channels: 1 }, size).data);
      }
    } else {
      const img = await readImage(sample.path);
      if (img.spatialDims !== 3) throw new DatasetError(sample.path, 'is not a 3D volume');
      const [w, h, d] = img.dims as [number, number, number];
      noteSquash(sample, [d, h, w]);
      const normalised = normaliseImage({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, 1, intensity, 3, sample.path);
      out = { image: resizeLinear(normalised, size).data, shape: size };
      if (sample.labelPath) {
        const lab = await readImage(sample.labelPath);
        if (lab.dims[0] !== w || lab.dims[1] !== h || lab.dims[2] !== d) {
          throw new DatasetError(sample.labelPath, `is ${lab.dims.slice(0, 3).join('x')}, its volume ${sample.path} is ${w}x${h}x${d}`);
        }
        const resized = resizeNearest({ data: Float32Array.from(lab.data.subarray(0, w * h * d)), shape: [d, h, w], channels: 1 }, size);
        out.label = Int32Array.from(resized.data);
      }
    }
    const bytes = out.image.byteLength + (out.label?.byteLength ?? 0);
    if (cacheLeft >= bytes) {
      cache.set(sample, out);
      cacheLeft -= bytes;
    }
    return out;
  }

  const sampler = new PatchSampler({ patch: size, foreground: spec.foreground ?? (labelsDir ? 1 / 3 : 0) });
  async function patchesOf(picked: SegmentationSample[], n: number, rng: Rng): Promise<Patch[]> {
    if (!spec.patch) throw new Error('patches need a dataset opened with patch: true');
    const items = await Promise.all(picked.map(loadShared));
    const sources = Array.from({ length: n }, (_, k) => {
      const i = k % picked.length;
      const it = items[i]!;
      return it.label ? { id: picked[i]!.id, shape: it.shape, image: it.image, label: it.label } : { id: picked[i]!.id, shape: it.shape, image: it.image };
    });
    return sampler.batch(sources, rng);
  }
  const volumesPerBatch = (o: PatchBatchOptions) => Math.ceil(o.batchSize / Math.max(1, Math.min(o.batchSize, Math.floor(o.patchesPerVolume))));

  const splitOf = (s: Split) => samples.filter((x) => x.split === s);
  const ds: SegmentationDataset = {
    classes,
    inputShape: [size[0], size[1], size[2], 1],
    patched: spec.patch === true,
    samples,
    counts: { train: splitOf('train').length, val: splitOf('val').length, test: splitOf('test').length },
    split: splitOf,
    // Copies, so a caller that changes them cannot corrupt the cache.
    load: async (sample) => {
      const { image, label, shape } = await loadShared(sample);
      return label ? { image: image.slice(), label: label.slice(), shape } : { image: image.slice(), shape };
    },
    patches: patchesOf,
    batchCount: (s, o) => (o.dropLast ? Math.floor : Math.ceil)(splitOf(s).length / o.batchSize),
    async *batches(s, o) {
      if (spec.patch) throw new Error('whole volumes of different sizes do not batch: with patch, train on patchBatches and evaluate whole volumes from load');
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
    patchBatchCount: (s, o) => (o.dropLast ? Math.floor : Math.ceil)(splitOf(s).length / volumesPerBatch(o)),
    async *patchBatches(s, o) {
      const pool = splitOf(s);
      const groups = chunk(epochOrder(pool.map(() => 0), o), volumesPerBatch(o), o.dropLast);
      const perVolume = Math.ceil(o.batchSize / volumesPerBatch(o));
      const aug = o.augment === true ? {} : o.augment || undefined;
      const loadBatch = async (b: number) => {
        const picked = groups[b]!.map((i) => pool[i]!);
        const rng = createRng(deriveSeed(deriveSeed(o.seed ?? 0, o.epoch ?? 0), b + 1));
        const n = Math.min(o.batchSize, picked.length * perVolume);
        const patches = await patchesOf(picked, n, rng);
        const x = new Float32Array(n * voxels);
        const y = labelsDir ? new Int32Array(n * voxels) : undefined;
        patches.forEach((p, k) => {
          if (aug) {
            const mask = p.label ? { data: Float32Array.from(p.label), shape: size, channels: 1 } : undefined;
            const r = augmentVolume({ data: p.image, shape: size, channels: 1 }, rng.fork(k + 1), 3, aug, mask);
            x.set(r.image.data, k * voxels);
            if (y && r.mask) y.set(Int32Array.from(r.mask.data), k * voxels);
          } else {
            x.set(p.image, k * voxels);
            if (y && p.label) y.set(p.label, k * voxels);
          }
        });
        return { picked: patches.map((_, k) => picked[k % picked.length]!), x, y, n };
      };
      for await (const b of prefetched(groups.length, loadBatch)) {
        const batch: SegmentationBatch = { x: tf.tensor5d(b.x, [b.n, size[0], size[1], size[2], 1]), samples: b.picked };
        if (b.y) batch.y = tf.tensor4d(b.y, [b.n, size[0], size[1], size[2]], 'int32');
        yield batch;
      }
    },
  };
  return ds;
}
