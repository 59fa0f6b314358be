/**
 * Writes a box file so that no reader (training, another tool, a crash mid-write) ever sees half
 * of it: the server's atomic write (temp file, fsync, rename). Non-file URIs (remote, virtual)
 * fall back to one workspace.fs write, which is what their providers offer.
 */
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../../../server/src/data/atomicWrite';

export async function writeTextAtomic(uri: vscode.Uri, text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  if (uri.scheme !== 'file') {
    await vscode.workspace.fs.writeFile(uri, data);
    return;
  }
  try {
    await writeFileAtomic(uri.fsPath, data);
  } catch (e) {
    throw new Error(`could not write ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
