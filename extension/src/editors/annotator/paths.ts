/**
 * Where the annotator may read images from: a COCO `file_name` is resolved against the box
 * file's folder and must land inside the dataset folder or a workspace folder, so a crafted
 * file name (`../../home/.ssh/id_rsa`) reads nothing. Pure path logic (node:path only).
 */
import * as path from 'node:path';
import { isInside } from '../../../../server/src/paths/confine';

export { isInside };

/**
 * The absolute path of an image named in a COCO file at `cocoFile`, or an Error that says
 * which file name was refused and where it may live.
 */
export function resolveImagePath(cocoFile: string, fileName: string, allowedRoots: readonly string[]): string | Error {
  const abs = path.resolve(path.dirname(cocoFile), fileName);
  if (allowedRoots.some((r) => isInside(abs, r))) return abs;
  return new Error(`image '${fileName}' resolves to ${abs}, outside the dataset folder and the workspace (${allowedRoots.join(', ')}); it was not read`);
}

/**
 * Image file names rewritten for a COCO file moving from folder `fromDir` to `toDir` (Save As),
 * so they still name the same images. Forward slashes, as COCO tools expect.
 */
export function rebaseFileName(fileName: string, fromDir: string, toDir: string): string {
  if (path.resolve(fromDir) === path.resolve(toDir)) return fileName;
  return path.relative(toDir, path.resolve(fromDir, fileName)).split(path.sep).join('/');
}
