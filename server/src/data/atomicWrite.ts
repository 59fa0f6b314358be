/**
 * Atomic file writes: write a temp file next to the target, then rename over it, so a reader
 * (or a crash mid-write) never sees half a file. Rename is atomic within one file system, which
 * is why the temp file lives in the target's folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
}

/** Writes `data` to `file` atomically, creating parent folders. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** Synchronous twin of writeFileAtomic, for generators and CLI code that is synchronous anyway. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
