/**
 * The fixed split of the MSD hippocampus volumes (../shared/data/real/hippocampus/) that the
 * segmentation benchmarks share (the U-Net/ViT comparison here, GL-MAE's when it moves to this
 * data): the 200 volume file names sorted; test = every 5th from the 5th (index % 5 === 4:
 * 40 volumes), val = index % 10 === 1 (20 volumes), train = the other 140. No seed: the same
 * volumes are held out whatever the training seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const HIPPOCAMPUS = path.join(__dirname, '..', '..', 'shared', 'data', 'real', 'hippocampus');

export type HippocampusSplit = 'train' | 'val' | 'test';

export function hippocampusSplitOf(index: number): HippocampusSplit {
  return index % 5 === 4 ? 'test' : index % 10 === 1 ? 'val' : 'train';
}

export interface HippocampusCase {
  name: string;
  image: string;
  label: string;
  split: HippocampusSplit;
}

/** Every volume of `dataDir` (images/ and labels/ by the same name) in sorted order, with its split. */
export function hippocampusCases(dataDir = HIPPOCAMPUS): HippocampusCase[] {
  const names = fs.readdirSync(path.join(dataDir, 'images')).filter((n) => /\.nii(\.gz)?$/.test(n)).sort();
  return names.map((name, i) => ({ name, image: path.join(dataDir, 'images', name), label: path.join(dataDir, 'labels', name), split: hippocampusSplitOf(i) }));
}

/** Writes the split CSV (path,split, absolute paths) for `data.split`; returns its path. */
export function writeHippocampusSplit(dataDir: string, outFile: string): string {
  const lines = hippocampusCases(dataDir).map((c) => `${JSON.stringify(c.image)},${c.split}`);
  fs.writeFileSync(outFile, ['path,split', ...lines].join('\n') + '\n');
  return outFile;
}
