/**
 * Atomic folder writes (a saved model is two files that must change together): write every file
 * into a temp folder beside the target (each file fsync'd), then rename it into place. Renaming over an existing
 * folder is not atomic on POSIX, so an existing target is first renamed aside and removed after;
 * readers that find the target missing look for that `.old` folder (see resolveAtomicDir).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { syncDir, writeFileSynced } from '../data/atomicWrite';

let counter = 0;

/** Writes `files` (relative name, may contain '/' -> bytes) as the folder `dir`, replacing it whole or not at all. */
export async function writeDirAtomic(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const parent = path.dirname(dir);
  await fs.promises.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.${process.pid}.${++counter}.tmp`);
  await fs.promises.mkdir(tmp, { recursive: true });
  try {
    for (const [name, data] of Object.entries(files)) {
      const f = path.join(tmp, name);
      if (!f.startsWith(tmp + path.sep)) throw new Error(`file name '${name}' leaves the folder`);
      await fs.promises.mkdir(path.dirname(f), { recursive: true });
      await writeFileSynced(f, data); // on the disk before the rename makes the folder visible
    }
    for (const d of new Set(Object.keys(files).map((n) => path.dirname(path.join(tmp, n))))) await syncDir(d);
    const old = `${dir}.old`;
    let movedAside = false;
    if (fs.existsSync(dir)) {
      await fs.promises.rm(old, { recursive: true, force: true });
      await fs.promises.rename(dir, old);
      movedAside = true;
    }
    await fs.promises.rename(tmp, dir);
    await syncDir(parent);
    if (movedAside) await fs.promises.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The folder to read: `dir`, or its `.old` twin when a replacement was interrupted mid-swap. */
export function resolveAtomicDir(dir: string): string {
  if (fs.existsSync(dir)) return dir;
  if (fs.existsSync(`${dir}.old`)) return `${dir}.old`;
  return dir;
}
