/**
 * Writes a box file so that no reader (training, another tool, a crash mid-write) ever sees half
 * of it: a temp file next to the target, then a rename over it. Non-file URIs (remote, virtual)
 * fall back to one workspace.fs write, which is what their providers offer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

let counter = 0;

export async function writeTextAtomic(uri: vscode.Uri, text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  if (uri.scheme !== 'file') {
    await vscode.workspace.fs.writeFile(uri, data);
    return;
  }
  const file = uri.fsPath;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  try {
    // fsync before the rename: after a crash the name never points at half-written data.
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw new Error(`could not write ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
