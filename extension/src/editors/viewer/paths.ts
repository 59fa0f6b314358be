/**
 * Which files the viewer may read for a webview, and how each format is decoded. Pure (no
 * `vscode` import) so unit tests cover it. A path the webview sends is resolved against the
 * opened file's folder and must lie inside a workspace folder or that folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDicomFile } from '../../../../server/src/data/readers/sniff';
import { confinePath, isInside, PathRefusedError } from '../../../../server/src/paths/confine';

export type DecodeRoute = 'nifti' | 'bitmap' | 'server';

export function decodeRoute(file: string): DecodeRoute {
  const f = file.toLowerCase();
  if (f.endsWith('.nii') || f.endsWith('.nii.gz')) return 'nifti';
  if (/\.(png|jpe?g)$/.test(f)) return 'bitmap';
  return 'server';
}

export { isInside };

/**
 * Resolves `requested` (absolute, or relative to the opened file's folder; symlinks followed)
 * with the one confinement rule the server uses too, or throws a clear error.
 */
export function checkViewerPath(requested: string, openedFile: string, workspaceRoots: readonly string[]): string {
  if (typeof requested !== 'string' || !requested.trim()) throw new Error('the viewer asked for an empty path');
  const base = path.dirname(openedFile);
  try {
    return confinePath(requested, { allowed: [...workspaceRoots, base], base, field: 'path' });
  } catch (e) {
    if (!(e instanceof PathRefusedError)) throw e;
    throw new Error(`${requested} is outside the workspace and the folder of ${path.basename(openedFile)}: the viewer only reads files there (${e.problem})`);
  }
}

/** DICOM files in a folder (for "Open DICOM Folder"), by extension or the DICM preamble. */
export function dicomFilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.'))
    .map((d) => path.join(dir, d.name))
    .filter(isDicomFile)
    .sort();
}

/** The viewer's size limit: 1 GiB of voxels (a 512x512x400 int16 CT is 200 MiB). */
export const VIEWER_MAX_BYTES = 1024 * 1024 * 1024;
