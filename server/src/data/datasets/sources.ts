/**
 * Where a classification dataset's items come from: a folder per class (optionally under
 * train/val/test folders), a CSV manifest (path,label[,split]) or a MedMNIST-style .npz. Each
 * source lists items with their label name, given split (if any) and how to find the pixels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CsvError, parseCsv } from './csv';
import { parseNpz, type Npy } from './npy';
import type { Split } from './splits';

export interface SourceItem {
  id: string;
  label: string;
  split?: Split;
  /** Absolute image path (folder and CSV sources). */
  path?: string;
  /** Index into the split's arrays (npz sources). */
  index?: number;
  /** Which npz arrays hold it. */
  npzSplit?: Split | 'all';
}

export interface Source {
  items: SourceItem[];
  /** Class names in label order when the source fixes them (npz labels are indices). */
  numericLabels: boolean;
  /** The folder a COCO boxes file would sit in (CSV folder or dataset folder). */
  home: string;
  npz?: Map<string, Npy>;
}

export class DatasetError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DatasetError';
  }
}

const IMAGE_FILE = /\.(png|jpe?g|nii(\.gz)?|nrrd|nhdr|mha|mhd|dcm)$/i;
const SPLIT_NAMES = new Set(['train', 'val', 'test']);

function parseSplit(value: string | undefined, file: string, line: number): Split | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.toLowerCase();
  const mapped = v === 'validation' || v === 'valid' ? 'val' : v;
  if (!SPLIT_NAMES.has(mapped)) throw new CsvError(file, line, `split '${value}' is not train, val or test`);
  return mapped as Split;
}

/**
 * The header's columns for an error message, only when they look like column names: a file that
 * is not a CSV manifest (a password file, a key) is never quoted back.
 */
function headerShown(header: string[]): string {
  const names = header.length <= 50 && header.every((h) => /^[\w .()/-]{1,64}$/.test(h));
  return names ? `it has ${header.join(', ')}` : 'its first line is not a list of column names';
}

export function csvSource(csvPath: string): Source {
  let text: string;
  try {
    text = fs.readFileSync(csvPath, 'utf8');
  } catch {
    throw new DatasetError(csvPath, 'cannot read the CSV manifest (does it exist?)');
  }
  const table = parseCsv(text, csvPath);
  const col = (n: string) => table.header.indexOf(n);
  if (col('path') < 0 || col('label') < 0) throw new CsvError(csvPath, 1, `the header must name 'path' and 'label' columns (${headerShown(table.header)})`);
  const home = path.dirname(csvPath);
  const missing: string[] = [];
  const items = table.rows.map(({ line, cells }) => {
    const rel = cells[col('path')];
    const label = cells[col('label')];
    if (!rel || !label) throw new CsvError(csvPath, line, 'a row needs a path and a label');
    const abs = path.resolve(home, rel);
    if (!fs.existsSync(abs)) missing.push(`${rel} (line ${line})`);
    const item: SourceItem = { id: rel, label, path: abs };
    const split = parseSplit(col('split') >= 0 ? cells[col('split')] : undefined, csvPath, line);
    if (split) item.split = split;
    return item;
  });
  if (missing.length) throw new DatasetError(csvPath, `${missing.length} listed file${missing.length > 1 ? 's do' : ' does'} not exist: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  return { items, numericLabels: false, home };
}

function imagesIn(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
}

export function folderSource(root: string): Source {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DatasetError(root, 'is not a folder (expected a folder per class)');
  const subdirs = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const splitLayout = subdirs.length > 0 && subdirs.every((d) => SPLIT_NAMES.has(d.toLowerCase()));
  const items: SourceItem[] = [];
  const add = (base: string, split: Split | undefined) => {
    for (const cls of fs.readdirSync(base, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      for (const name of imagesIn(path.join(base, cls))) {
        const abs = path.join(base, cls, name);
        const item: SourceItem = { id: path.relative(root, abs).split(path.sep).join('/'), label: cls, path: abs };
        if (split) item.split = split;
        items.push(item);
      }
    }
  };
  if (splitLayout) for (const d of subdirs) add(path.join(root, d), d.toLowerCase() as Split);
  else add(root, undefined);
  if (!items.length) throw new DatasetError(root, 'holds no images in class folders (expected <class>/<image> or <train|val|test>/<class>/<image>)');
  return { items, numericLabels: false, home: root };
}

export function npzSource(file: string): Source {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch {
    throw new DatasetError(file, 'cannot read the .npz file (does it exist?)');
  }
  const arrays = parseNpz(bytes, file);
  const items: SourceItem[] = [];
  const labelsOf = (key: string): number[] => {
    const a = arrays.get(key)!;
    if (a.shape.length === 2 && a.shape[1]! > 1) throw new DatasetError(file, `${key} has shape (${a.shape.join(', ')}): multi-label data is not a single-label classification dataset`);
    return Array.from(a.data, (x) => Math.round(x));
  };
  const splitsPresent = (['train', 'val', 'test'] as const).filter((s) => arrays.has(`${s}_images`));
  const sets: [Split | 'all', string][] = splitsPresent.length ? splitsPresent.map((s) => [s, s]) : arrays.has('images') ? [['all', '']] : [];
  if (!sets.length) throw new DatasetError(file, `has no train_images/val_images/test_images (or images/labels) arrays; it has ${[...arrays.keys()].join(', ') || 'none'}`);
  for (const [split, prefix] of sets) {
    const imgKey = prefix ? `${prefix}_images` : 'images';
    const labKey = prefix ? `${prefix}_labels` : 'labels';
    if (!arrays.has(labKey)) throw new DatasetError(file, `has ${imgKey} but no ${labKey}`);
    const labels = labelsOf(labKey);
    const n = arrays.get(imgKey)!.shape[0]!;
    if (labels.length !== n) throw new DatasetError(file, `${imgKey} has ${n} images but ${labKey} has ${labels.length} labels`);
    labels.forEach((l, i) => {
      const item: SourceItem = { id: `${prefix || 'all'}/${i}`, label: String(l), index: i, npzSplit: split };
      if (split !== 'all') item.split = split;
      items.push(item);
    });
  }
  return { items, numericLabels: true, home: path.dirname(file), npz: arrays };
}
