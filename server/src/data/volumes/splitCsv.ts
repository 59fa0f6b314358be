/**
 * A fixed split from a CSV (path,split): every volume must be named, so that a split file that
 * misses some volumes is an error rather than a silent fall-back to a seeded split.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv } from '../datasets/csv';
import { DatasetError } from '../datasets/sources';

export type SplitName = 'train' | 'val' | 'test';

/** Split of each volume file (by base name) in `volumesDir`; throws when one is missing or unknown. */
export function readSplitCsv(file: string, volumesDir: string, names: string[]): Map<string, SplitName> {
  if (!fs.existsSync(file)) throw new DatasetError(file, 'does not exist (data.split names the CSV of the fixed split)');
  const table = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const p = table.header.indexOf('path');
  const s = table.header.indexOf('split');
  if (p < 0 || s < 0) throw new DatasetError(file, `needs the columns path and split (has ${table.header.join(', ')})`);
  const out = new Map<string, SplitName>();
  for (const row of table.rows) {
    const abs = path.resolve(path.dirname(file), row.cells[p] ?? '');
    const split = row.cells[s];
    if (split !== 'train' && split !== 'val' && split !== 'test') throw new DatasetError(file, `line ${row.line}: split '${split}' is not train, val or test`);
    if (path.dirname(abs) === path.resolve(volumesDir)) out.set(path.basename(abs), split);
  }
  const missing = names.filter((n) => !out.has(n));
  if (missing.length) throw new DatasetError(file, `gives no split for ${missing.length} volume(s) of ${volumesDir}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`);
  return out;
}
