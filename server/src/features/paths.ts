/**
 * Every path a request carries goes through here: confined to the workspace folders (and, for
 * decoded volumes, the extension's cache), realpath'd, relative ones taken against the first
 * workspace folder (never the server's current folder). In an untrusted workspace the server
 * writes nothing, except decoded volumes into the extension's own cache, which viewing needs.
 */
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { confinePath, PathRefusedError } from '../paths/confine';
import type { ServerContext } from './types';

/** read: a file or folder the request reads; write: one it creates or changes; decodeOut: a decoded volume for the viewer. */
export type PathUse = 'read' | 'write' | 'decodeOut';

function allowedFor(ctx: ServerContext, use: PathUse, field: string): { allowed: string[]; where: string } {
  const roots = ctx.workspaceRoots();
  const cache = ctx.initOptions().cacheDir;
  if (use === 'read') return { allowed: roots, where: 'the workspace folders' };
  if (use === 'write' && !ctx.trusted()) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${field}: this workspace is not trusted, and MedStudio writes no files until you trust it`);
  }
  if (use === 'write') return { allowed: roots, where: 'the workspace folders' };
  const allowed = [...(cache ? [cache] : []), ...(ctx.trusted() ? roots : [])];
  return { allowed, where: ctx.trusted() ? "the workspace folders and the viewer's cache" : "the viewer's cache (the workspace is not trusted)" };
}

/** The confined real path for a request's `field`, or an InvalidParams error naming it. */
export function requestPath(ctx: ServerContext, requested: string, field: string, use: PathUse): string {
  const { allowed, where } = allowedFor(ctx, use, field);
  try {
    return confinePath(requested, { allowed, base: ctx.workspaceRoots()[0] ?? allowed[0], field, where });
  } catch (e) {
    if (e instanceof PathRefusedError) throw new ResponseError(ErrorCodes.InvalidParams, e.message);
    throw e;
  }
}

/** An experiment file: confined, and named like one, so that no other file is parsed (and quoted) as one. */
export function experimentPath(ctx: ServerContext, requested: string, field = 'experimentPath'): string {
  const file = requestPath(ctx, requested, field, 'read');
  if (!/\.medstudio\.(ya?ml|json)$/i.test(file)) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${field}: ${requested} is not an experiment file (*.medstudio.yaml); it was not read`);
  }
  return file;
}
