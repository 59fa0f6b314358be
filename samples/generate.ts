/**
 * Regenerates samples/ deterministically: `npm run samples` (same seed => byte-identical files).
 *   node --import tsx samples/generate.ts [--seed N] [--out DIR] [--only skin|shortcut|ct]
 * Every random choice comes from server/src/transforms/rng.ts; no clock, no Math.random.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateCtNodules } from './src/ctDataset';
import { DEFAULT_SEED } from './src/seed';
import { generateShortcutLesions } from './src/shortcutDataset';
import { generateSkinLesions } from './src/skinDataset';


async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } } });
  const seed = values.seed ? Number(values.seed) : DEFAULT_SEED;
  const out = path.resolve(values.out ?? path.dirname(new URL(import.meta.url).pathname));
  const t0 = Date.now();
  if (!values.only || values.only === 'skin') {
    const dir = path.join(out, 'skin-lesions');
    fs.rmSync(path.join(dir, 'images'), { recursive: true, force: true });
    const s = generateSkinLesions(dir, seed);
    console.log(`skin-lesions: ${s.images} images, ${(s.bytes / 1e6).toFixed(2)} MB of PNG, ${JSON.stringify(s.counts)}`);
  }
  if (!values.only || values.only === 'shortcut') {
    const dir = path.join(out, 'shortcut-lesions');
    fs.rmSync(path.join(dir, 'images'), { recursive: true, force: true });
    const s = generateShortcutLesions(dir, seed);
    console.log(`shortcut-lesions: ${s.images} images; ink mark (images with it / all) by split: ${JSON.stringify(s.inkMarks)}`);
  }
  if (!values.only || values.only === 'ct') {
    const dir = path.join(out, 'ct-nodules');
    for (const sub of ['volumes', 'labels', 'boxes']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
    const s = generateCtNodules(dir, seed);
    console.log(`ct-nodules: ${s.cases} volumes, ${(s.bytes / 1e6).toFixed(2)} MB; non-identity directions: ${s.directions.join('; ')}`);
  }
  console.log(`samples written to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

void main();
