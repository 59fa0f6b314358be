/**
 * Atomic file writes: write a temp file next to the target, fsync it, then rename over it, so a
 * reader (or a crash mid-write, or a power cut) never sees half a file. Rename is atomic within
 * one file system, which is why the temp file lives in the target's folder; without the fsync a
 * crash soon after the rename can leave the new name pointing at empty or partial data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
}

/** Writes `data` to `file` and flushes it to the disk before returning. */
export async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.promises.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a folder's entries (a rename into it) to the disk; a no-op where folders cannot be opened (Windows). */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    /* the rename itself is still atomic */
  } finally {
    await fh?.close();
  }
}

/** Writes `data` to `file` atomically (fsync'd before the rename), creating parent folders. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await writeFileSynced(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
}

/** Synchronous twin of writeFileAtomic, for generators and CLI code that is synchronous anyway. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Temp files and folders an interrupted atomic write leaves (`.<name>.<pid>.<n>.tmp`). */
export const TEMP_NAME = /^\..+\.\d+\.\d+\.tmp$/;
