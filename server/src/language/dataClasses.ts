/**
 * The class names present in a dataset, cheaply (no image decoding): the label column of a CSV
 * manifest, the sub-folders of a class-per-folder dataset. Cached by path and mtime, since the
 * language server asks on every keystroke.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isConfined } from '../paths/confine';

const cache = new Map<string, { mtimeMs: number; classes: string[] }>();

function csvLabels(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase()) ?? [];
  const col = header.indexOf('label');
  if (col < 0) return [];
  const seen = new Set<string>();
  for (const l of lines.slice(1)) {
    const v = l.split(',')[col]?.trim();
    if (v) seen.add(v);
  }
  return [...seen].sort();
}

function folderClasses(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

/** Class names found in the data, or undefined when they cannot be known cheaply. */
export function classesInData(format: string, p: string): string[] | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return undefined;
  }
  const key = `${format}:${p}`;
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.classes;
  let classes: string[] | undefined;
  if (format === 'csv' && st.isFile()) classes = csvLabels(p);
  else if (format === 'folder' && st.isDirectory()) classes = folderClasses(p);
  if (!classes || classes.length === 0) return undefined;
  cache.set(key, { mtimeMs: st.mtimeMs, classes });
  return classes;
}

/** Completion candidates for path values: entries of the folder typed so far, when inside `roots`. */
export function pathCandidates(docDir: string, typed: string, roots: readonly string[]): { label: string; isDir: boolean }[] {
  const base = typed.includes('/') ? typed.slice(0, typed.lastIndexOf('/') + 1) : '';
  const dir = path.resolve(docDir, base || '.');
  if (!isConfined(dir, roots)) return [];
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.name.startsWith('.') || d.name === '.medstudio')
      .map((d) => ({ label: base + d.name + (d.isDirectory() ? '/' : ''), isDir: d.isDirectory() }));
  } catch {
    return [];
  }
}
