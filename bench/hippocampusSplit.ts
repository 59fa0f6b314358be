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

export function hippocampusSplitOf(index: number): 'train' | 'val' | 'test' {
  return index % 5 === 4 ? 'test' : index % 10 === 1 ? 'val' : 'train';
}

/** Writes the split CSV (path,split, absolute paths) for `data.split`; returns its path. */
export function writeHippocampusSplit(dataDir: string, outFile: string): string {
  const images = path.join(dataDir, 'images');
  const names = fs.readdirSync(images).filter((n) => /\.nii(\.gz)?$/.test(n)).sort();
  const lines = names.map((n, i) => `${JSON.stringify(path.join(images, n))},${hippocampusSplitOf(i)}`);
  fs.writeFileSync(outFile, ['path,split', ...lines].join('\n') + '\n');
  return outFile;
}
