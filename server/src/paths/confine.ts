/**
 * The one rule for paths that arrive from outside the process (an LSP request, a webview
 * message): resolved against a base folder (the first workspace folder unless said otherwise),
 * symlinks resolved (realpath, also for the existing part of a path still to be written), and
 * refused unless the result lies inside one of the allowed folders. The error names the field,
 * the path and why; it never reads the file, so it cannot echo its contents.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** True when `p` is `root` or lies below it (both resolved the same way by the caller). */
export function isInside(p: string, root: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class PathRefusedError extends Error {
  constructor(
    readonly field: string,
    readonly requested: string,
    readonly problem: string,
  ) {
    super(`${field}: ${requested.length > 300 ? `${requested.slice(0, 300)}…` : requested} ${problem}`);
    this.name = 'PathRefusedError';
  }
}

function realOr(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The real path of `abs`: realpath of its longest existing ancestor plus the names that do not
 * exist yet. A name that exists only as a link (dangling symlink) is refused: writing there
 * would follow it wherever it points.
 */
function realPathOf(abs: string, field: string, requested: string): string {
  const missing: string[] = [];
  for (let p = abs; ; ) {
    try {
      return path.join(fs.realpathSync.native(p), ...missing.reverse());
    } catch {
      let linked = false;
      try {
        linked = fs.lstatSync(p).isSymbolicLink();
      } catch {
        /* does not exist: keep going up */
      }
      if (linked) throw new PathRefusedError(field, requested, 'is a symbolic link that points nowhere; refused');
      const up = path.dirname(p);
      if (up === p) return abs;
      missing.push(path.basename(p));
      p = up;
    }
  }
}

export interface ConfineOptions {
  /** Folders the path must end up in (workspace folders, the decode cache). */
  allowed: readonly string[];
  /** What a relative path is relative to; default: the first allowed folder. */
  base?: string;
  /** The request field it came from, for the error ("runDir", "outFile"). */
  field: string;
  /** How the allowed folders are described in the error; default "the workspace folders". */
  where?: string;
}

/** The confined, real absolute path for `requested`, or a PathRefusedError saying why not. */
export function confinePath(requested: string, o: ConfineOptions): string {
  const where = o.where ?? 'the workspace folders';
  if (typeof requested !== 'string' || !requested) throw new PathRefusedError(o.field, String(requested), 'is not a path');
  if (requested.includes('\0')) throw new PathRefusedError(o.field, requested.replace(/\0/g, '\\0'), 'contains a NUL character');
  const base = o.base ?? o.allowed[0];
  if (!base || o.allowed.length === 0) throw new PathRefusedError(o.field, requested, `cannot be used: no workspace folder is open, and MedStudio only reads and writes inside ${where}`);
  const real = realPathOf(path.resolve(base, requested), o.field, requested);
  const roots = o.allowed.map(realOr);
  if (!roots.some((r) => isInside(real, r))) {
    const shown = real === requested ? '' : ` (it resolves to ${real})`;
    throw new PathRefusedError(o.field, requested, `is outside ${where}${shown}; MedStudio only reads and writes inside ${roots.join(', ')}`);
  }
  return real;
}

/** Whether `p` (absolute) stays inside `allowed` once symlinks are resolved. */
export function isConfined(p: string, allowed: readonly string[]): boolean {
  try {
    confinePath(p, { allowed, field: 'path' });
    return true;
  } catch {
    return false;
  }
}
