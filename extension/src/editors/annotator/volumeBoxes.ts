/**
 * Which volume a 3D box file (`<name>.mrk.json`) belongs to, and which box file a volume has.
 * Datasets keep them side by side or in sibling folders (`volumes/ct-001.nii.gz` and
 * `boxes/ct-001.mrk.json`, as the samples do); a box file may also name its volume
 * (`"medstudio": { "volume": "<path relative to the box file>" }`). Pure (no vscode).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const NIFTI = /\.nii(\.gz)?$/i;
const MRK = /\.mrk\.json$/i;

/** `dir` and the other folders beside it (one level up, one down): where a dataset's parts live. */
function nearFolders(dir: string): string[] {
  const up = path.dirname(dir);
  let siblings: string[] = [];
  try {
    siblings = fs
      .readdirSync(up, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && path.join(up, e.name) !== dir)
      .map((e) => path.join(up, e.name))
      .sort();
  } catch {
    /* unreadable parent: the folder itself only */
  }
  return [dir, ...siblings];
}

/** The volume `reference` in a box file's text (`medstudio.volume`), resolved against its folder. */
function storedReference(boxFile: string, text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as { medstudio?: { volume?: unknown } }).medstudio?.volume;
    return typeof v === 'string' && v ? path.resolve(path.dirname(boxFile), v) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The volume of a box file: its stored reference, `<name>.nii.gz`/`.nii` beside it or in a
 * sibling folder, else the only NIfTI beside it. An Error says what was looked for.
 */
export function findVolumeFor(boxFile: string, text: string): string | Error {
  const ref = storedReference(boxFile, text);
  if (ref) return fs.existsSync(ref) ? ref : new Error(`${path.basename(boxFile)} names its volume ${ref}, which does not exist`);
  const dir = path.dirname(boxFile);
  const base = path.basename(boxFile).replace(MRK, '');
  for (const folder of nearFolders(dir)) {
    for (const ext of ['.nii.gz', '.nii']) {
      const p = path.join(folder, base + ext);
      if (fs.existsSync(p)) return p;
    }
  }
  const nifti = fs.readdirSync(dir).filter((f) => NIFTI.test(f));
  if (nifti.length === 1) return path.join(dir, nifti[0]!);
  return new Error(
    `no volume found for ${path.basename(boxFile)}: looked for ${base}.nii.gz (or .nii) beside it and in the folders next to its folder${nifti.length ? ` (its folder has ${nifti.length} NIfTI files, so none was picked)` : ''}`,
  );
}

/** An existing box file for a volume: `<name>.mrk.json` beside it or in a sibling folder (e.g. boxes/). */
export function findBoxFileFor(volume: string): string | undefined {
  const base = path.basename(volume).replace(NIFTI, '');
  for (const folder of nearFolders(path.dirname(volume))) {
    const p = path.join(folder, `${base}.mrk.json`);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}
