/**
 * The images MoCo/DisCo train and probe on: train/val/test splits of HWC Float32 images in
 * [0, 1] with integer labels (labels are used only by the probes, never by training).
 *
 * Interim reader: a CSV manifest (path,label[,split]) of PNGs, read with pngjs. The data
 * engineer's server/src/data loadClassificationDataset replaces it when it lands (this module is
 * the only place that reads files for MoCo/DisCo).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Experiment } from '../../experiment/types';
import { createRng } from '../../transforms/rng';
import type { ImageShape } from './augment';

export interface ImageSplit {
  images: Float32Array[];
  labels: number[];
}

export interface ContrastiveData {
  shape: ImageShape;
  classes: string[];
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
}

export type DataLoader = (e: Experiment) => Promise<ContrastiveData>;

export const loadContrastiveData: DataLoader = async (e) => {
  if (e.data.format !== 'csv') throw new Error(`${e.file}: MoCo/DisCo read data.format 'csv' for now (got '${e.data.format}')`);
  const csv = e.data.path;
  let text: string;
  try {
    text = await fs.promises.readFile(csv, 'utf8');
  } catch (err) {
    throw new Error(`${csv}: cannot read the data manifest (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]?.split(',').map((h) => h.trim()) ?? [];
  const col = (n: string) => header.indexOf(n);
  if (col('path') < 0 || col('label') < 0) throw new Error(`${csv}: the header must name 'path' and 'label' columns`);
  const rows = lines.slice(1).map((l, i) => {
    const c = l.split(',').map((v) => v.trim());
    if (!c[col('path')] || !c[col('label')]) throw new Error(`${csv}:${i + 2}: a row needs a path and a label`);
    return { path: c[col('path')]!, label: c[col('label')]!, split: col('split') >= 0 ? c[col('split')] : undefined };
  });
  const classes = e.data.classes ?? [...new Set(rows.map((r) => r.label))].sort();
  const unknown = rows.find((r) => !classes.includes(r.label));
  if (unknown) throw new Error(`${csv}: label '${unknown.label}' is not in data.classes (${classes.join(', ')})`);
  const splits = assignSplits(rows.map((r) => r.split), e);
  const out: ContrastiveData = { shape: { height: 0, width: 0, channels: 3 }, classes, train: empty(), val: empty(), test: empty() };
  rows.forEach((r, i) => {
    const file = path.resolve(path.dirname(csv), r.path);
    let png: PNG;
    try {
      png = PNG.sync.read(fs.readFileSync(file));
    } catch (err) {
      throw new Error(`${file}: cannot read the PNG (${(err as Error).message})`);
    }
    if (out.shape.height === 0) out.shape = { height: png.height, width: png.width, channels: e.model.channels ?? 3 };
    if (png.height !== out.shape.height || png.width !== out.shape.width) {
      throw new Error(`${file}: is ${png.width}x${png.height}, the others are ${out.shape.width}x${out.shape.height}`);
    }
    out[splits[i]!].images.push(toFloat(png, out.shape.channels));
    out[splits[i]!].labels.push(classes.indexOf(r.label));
  });
  if (out.train.images.length === 0) throw new Error(`${csv}: no training images`);
  return out;
};

function empty(): ImageSplit {
  return { images: [], labels: [] };
}

function toFloat(png: PNG, channels: number): Float32Array {
  const n = png.width * png.height;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    if (channels === 1) out[i] = (0.299 * png.data[i * 4]! + 0.587 * png.data[i * 4 + 1]! + 0.114 * png.data[i * 4 + 2]!) / 255;
    else for (let c = 0; c < channels; c++) out[i * channels + c] = png.data[i * 4 + c]! / 255;
  }
  return out;
}

/** The CSV's split column, else a seeded split by data.valFraction / data.testFraction. */
function assignSplits(given: (string | undefined)[], e: Experiment): ('train' | 'val' | 'test')[] {
  if (given.every((s) => s === 'train' || s === 'val' || s === 'test')) return given as ('train' | 'val' | 'test')[];
  const order = createRng(e.train.seed).shuffle(given.map((_, i) => i));
  const nTest = Math.round(given.length * e.data.testFraction);
  const nVal = Math.round(given.length * e.data.valFraction);
  const out = new Array<'train' | 'val' | 'test'>(given.length).fill('train');
  order.forEach((idx, rank) => (out[idx] = rank < nTest ? 'test' : rank < nTest + nVal ? 'val' : 'train'));
  return out;
}
