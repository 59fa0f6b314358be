/**
 * segment2d's image + mask reader on PH2 (../shared/data/real/ph2: dermoscopy images and expert
 * lesion masks named <id>_lesion.png), with a fixed split CSV. Skipped with a reason where the
 * real-data folder is missing (a fresh clone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSegmentation2dDataset } from '../../server/src/data/datasets/segmentation2d';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ph2 = path.resolve(root, '../shared/data/real/ph2');
const missing = fs.existsSync(ph2) ? false : `real-data folder ${ph2} is missing (it is not part of the repository)`;

test('PH2: every image pairs with its expert mask, the split CSV is honoured, masks read as binary lesion labels', { skip: missing }, async () => {
  const images = fs.readdirSync(path.join(ph2, 'images')).filter((n) => n.endsWith('.png')).sort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ph2-split-'));
  const split = path.join(tmp, 'split.csv');
  fs.writeFileSync(split, ['path,split', ...images.map((n, i) => `${path.join(ph2, 'images', n)},${i % 5 === 0 ? 'test' : i % 5 === 1 ? 'val' : 'train'}`)].join('\n') + '\n');
  try {
    const ds = await loadSegmentation2dDataset({ path: path.join(ph2, 'images'), labels: path.join(ph2, 'masks'), size: 64, seed: 1, split });
    assert.equal(ds.samples.length, 200);
    assert.deepEqual(ds.classes, ['background', 'foreground']);
    assert.equal(ds.channels, 3);
    assert.deepEqual([ds.split('train').length, ds.split('val').length, ds.split('test').length], [120, 40, 40]);
    const s = ds.samples.find((x) => x.id === 'IMD002.png')!;
    assert.equal(path.basename(s.maskPath), 'IMD002_lesion.png');
    const { image, label } = await ds.load(s);
    assert.equal(image.length, 64 * 64 * 3);
    assert.ok(image.every((v) => v >= 0 && v <= 1));
    const share = label.reduce((a, b) => a + b, 0) / label.length;
    assert.ok(share > 0.05 && share < 0.95, `lesion share ${share}`);
    const full = await ds.fullLabels(s);
    assert.deepEqual([full.width, full.height], [382, 286]);
    assert.ok(full.labels.every((v) => v === 0 || v === 1));
    assert.ok(Math.abs(full.labels.reduce((a, b) => a + b, 0) / full.labels.length - share) < 0.02, 'the 64 px labels cover what the full mask covers');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
