/**
 * A throwaway workspace for the host tests: a copy of the bundled samples and, where this
 * machine has ../shared/data/real (CI does; a fresh clone does not), a few real hippocampus MRI
 * volumes with their labels in real-hippocampus/ (tests that need them say so when absent).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './buildSuite';

export function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-ws-'));
  const samples = path.join(ROOT, 'samples');
  if (fs.existsSync(samples)) fs.cpSync(samples, path.join(ws, 'samples'), { recursive: true });
  copyRealHippocampus(path.join(ws, 'real-hippocampus'));
  return ws;
}

export const REAL_HIPPOCAMPUS = path.resolve(ROOT, '..', 'shared', 'data', 'real', 'hippocampus');

/** Six labelled volumes in images/ + labels/, and a seventh, unlabelled, in heldout/. */
function copyRealHippocampus(dest: string): void {
  const images = path.join(REAL_HIPPOCAMPUS, 'images');
  if (!fs.existsSync(images)) return;
  const names = fs.readdirSync(images).filter((f) => f.endsWith('.nii.gz')).sort().slice(0, 7);
  for (const sub of ['images', 'labels', 'heldout']) fs.mkdirSync(path.join(dest, sub), { recursive: true });
  names.forEach((n, i) => {
    if (i === 6) return fs.copyFileSync(path.join(images, n), path.join(dest, 'heldout', n));
    fs.copyFileSync(path.join(images, n), path.join(dest, 'images', n));
    fs.copyFileSync(path.join(REAL_HIPPOCAMPUS, 'labels', n), path.join(dest, 'labels', n));
  });
}
