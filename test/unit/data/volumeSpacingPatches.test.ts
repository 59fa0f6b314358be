/**
 * The generic volume dataset (ViT segmentation, GL-MAE) at real size: data.spacing puts every
 * volume in the canonical frame at one spacing (the physical size stays), data.intensity's MR
 * percentiles ignore outliers, data.patch draws patches of the input size (a labelled voxel in
 * the forced share, several per volume) instead of squashing, and the experiment refuses
 * ill-formed options; decoded volumes are cached once. Tiny generated NIfTI volumes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { loadSegmentationDataset } from '../../../server/src/data/datasets';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { Mat3, Vec3 } from '../../../server/src/formats/geometry';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { createRng } from '../../../server/src/transforms/rng';

let dir = '';
const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Writes `<sub>/<name>.nii` of shape [D, H, W] with spacing [D, H, W] mm; `flipX` stores x reversed (direction -x), the same anatomy. */
function writeVolume(sub: string, name: string, shape: [number, number, number], spacing: [number, number, number], value: (z: number, y: number, x: number) => number, flipX = false, labels = false): void {
  const [d, h, w] = shape;
  const data = labels ? new Uint8Array(d * h * w) : new Int16Array(d * h * w);
  for (let z = 0; z < d; z++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(z * h + y) * w + x] = value(z, y, flipX ? w - 1 - x : x);
  const direction: Mat3 = flipX ? [-1, 0, 0, 0, 1, 0, 0, 0, 1] : IDENTITY;
  const origin: Vec3 = flipX ? [(w - 1) * spacing[2], 0, 0] : [0, 0, 0];
  fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(path.join(dir, sub, `${name}.nii`), encodeNifti({ data, dims: [w, h, d], spacing: [spacing[2], spacing[1], spacing[0]], origin, direction }));
}

before(async () => {
  await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vol-patches-'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('data.spacing resamples every volume to one spacing in the canonical frame, keeping its physical size', async () => {
  // 10 x 20 x 24 voxels at 3 x 1 x 0.5 mm: 30 x 20 x 12 mm, an off-centre ball of radius 5 mm.
  const shape: [number, number, number] = [10, 20, 24];
  const spacing: [number, number, number] = [3, 1, 0.5];
  const ball = (z: number, y: number, x: number) => (Math.hypot(z * 3 - 14, y - 9, x * 0.5 - 5) < 5 ? 1 : 0);
  writeVolume('sp/volumes', 'a', shape, spacing, (z, y, x) => 100 + 500 * ball(z, y, x) + x);
  writeVolume('sp/labels', 'a', shape, spacing, ball, false, true);
  writeVolume('sp/volumes', 'b', shape, spacing, (z, y, x) => 100 + 500 * ball(z, y, x) + x, true);
  writeVolume('sp/labels', 'b', shape, spacing, ball, true, true);
  const ds = await loadSegmentationDataset({ path: path.join(dir, 'sp/volumes'), labels: path.join(dir, 'sp/labels'), size: 8, seed: 1, manifest: false, spacing: [1.5, 1.5, 1.5], patch: true });
  const [a, b] = [await ds.load(ds.samples[0]!), await ds.load(ds.samples[1]!)];
  assert.deepEqual(a.shape, [20, 13, 8]);
  a.shape.forEach((n, i) => assert.ok(Math.abs(n * 1.5 - shape[i]! * spacing[i]!) <= 1.5, `axis ${i}: ${n} x 1.5 mm vs ${shape[i]! * spacing[i]!} mm`));
  const mm3 = (lab: Int32Array, voxel: number) => lab.reduce((s, v) => s + v, 0) * voxel;
  const before = mm3(Int32Array.from({ length: 10 * 20 * 24 }, (_, i) => ball(Math.floor(i / 480), Math.floor(i / 24) % 20, i % 24)), 1.5);
  const after = mm3(a.label!, 1.5 ** 3);
  assert.ok(Math.abs(after - before) / before < 0.25, `ball ${before} mm3 before, ${after} mm3 after resampling`);
  // The x-flipped file holds the same anatomy: in the canonical frame it is the same volume.
  assert.deepEqual(b.shape, a.shape);
  assert.deepEqual(Array.from(b.label!), Array.from(a.label!));
  assert.ok(b.image.every((v, i) => Math.abs(v - a.image[i]!) < 1e-5));
});

test('data.intensity percentiles clip each volume to its own percentiles, so a few outliers do not flatten it', async () => {
  const shape: [number, number, number] = [16, 16, 16];
  // Values 0..255 over the volume, and 3 metal-like voxels at 30000 (under 0.5% of the voxels).
  writeVolume('mr/volumes', 'a', shape, [1, 1, 1], (z, y, x) => ((z * 256 + y * 16 + x) % 1365 === 7 ? 30000 : (z * 256 + y * 16 + x) % 256));
  const open = (intensity: Parameters<typeof loadSegmentationDataset>[0]['intensity']) => loadSegmentationDataset({ path: path.join(dir, 'mr/volumes'), size: 16, seed: 1, manifest: false, intensity, spacing: [1, 1, 1] });
  const pct = await (await open({ percentiles: [0.5, 99.5] })).load((await open('auto')).samples[0]!);
  const auto = await (await open('auto')).load((await open('auto')).samples[0]!);
  const median = (a: Float32Array) => Float32Array.from(a).sort()[a.length >> 1]!;
  assert.ok(Math.abs(median(pct.image) - 0.5) < 0.05, `median ${median(pct.image)} with percentiles`);
  assert.ok(median(auto.image) < 0.01, `min-max squashes the anatomy near 0 (median ${median(auto.image)})`);
  assert.equal(Math.max(...pct.image), 1);
  assert.equal(Math.min(...pct.image), 0);
});

test('data.patch draws patches of the input size from whole volumes, several per volume, a labelled voxel in the forced third', async () => {
  // 40^3 volumes with a 2^3 lesion: a patch placed at random rarely holds it.
  for (let i = 0; i < 4; i++) {
    const c = [6 + i * 7, 30 - i * 5, 12 + i * 4];
    const lesion = (z: number, y: number, x: number) => (z >= c[0]! && z < c[0]! + 2 && y >= c[1]! && y < c[1]! + 2 && x >= c[2]! && x < c[2]! + 2 ? 1 : 0);
    writeVolume('p/volumes', `v${i}`, [40, 40, 40], [1, 1, 1], (z, y, x) => 100 + 800 * lesion(z, y, x) + ((x * 7 + y * 3 + z) % 50));
    writeVolume('p/labels', `v${i}`, [40, 40, 40], [1, 1, 1], lesion, false, true);
  }
  const ds = await loadSegmentationDataset({ path: path.join(dir, 'p/volumes'), labels: path.join(dir, 'p/labels'), size: 8, seed: 1, manifest: false, valFraction: 0, testFraction: 0, patch: true });
  assert.equal(ds.counts.train, 4);
  assert.deepEqual(ds.inputShape, [8, 8, 8, 1]);
  const o = { batchSize: 6, patchesPerVolume: 3, shuffle: true, seed: 3 };
  assert.equal(ds.patchBatchCount('train', o), 2);
  let forced = 0;
  let forcedHit = 0;
  let free = 0;
  let freeHit = 0;
  for (let epoch = 0; epoch < 15; epoch++) {
    for await (const b of ds.patchBatches('train', { ...o, epoch })) {
      assert.deepEqual(b.x.shape, [6, 8, 8, 8, 1]);
      assert.deepEqual(b.y!.shape, [6, 8, 8, 8]);
      // Two volumes, three patches each.
      const ids = b.samples.map((s) => s.id);
      assert.equal(new Set(ids).size, 2);
      for (const id of new Set(ids)) assert.equal(ids.filter((x) => x === id).length, 3);
      const y = b.y!.dataSync();
      for (let k = 0; k < 6; k++) {
        const hit = y.subarray(k * 512, (k + 1) * 512).some((v) => v > 0);
        // The last round(6 / 3) = 2 of the batch are forced onto the lesion.
        if (k >= 4) {
          forced++;
          forcedHit += hit ? 1 : 0;
        } else {
          free++;
          freeHit += hit ? 1 : 0;
        }
      }
      tf.dispose([b.x, b.y!]);
    }
  }
  assert.equal(forcedHit, forced, 'every forced patch holds a labelled voxel');
  assert.ok(freeHit / free < 0.15, `random patches rarely hold the lesion (${freeHit}/${free})`);
  const share = (forcedHit + freeHit) / (forced + free);
  assert.ok(share >= 1 / 3 && share < 0.45, `positive share ${share.toFixed(2)}`);
  // Whole volumes for sliding windows; batches() of whole volumes is refused, never squashed.
  assert.deepEqual((await ds.load(ds.samples[0]!)).shape, [40, 40, 40]);
  await assert.rejects(ds.batches('train', { batchSize: 2 }).next(), /patchBatches/);
  // Without labels (pretraining) patches are placed anywhere, and with no cache each volume is decoded on use.
  const unlabelled = await loadSegmentationDataset({ path: path.join(dir, 'p/volumes'), size: 16, seed: 1, manifest: false, patch: true, cacheBytes: 0 });
  const patches = await unlabelled.patches(unlabelled.samples.slice(0, 2), 5, createRng(4));
  assert.equal(patches.length, 5);
  assert.ok(patches.every((p) => p.image.length === 16 ** 3 && p.label === undefined));
  assert.equal(new Set(patches.map((p) => p.origin.join(','))).size, 5);
});

test('patch training decodes each volume once and cuts every later patch from the cache', async () => {
  fs.cpSync(path.join(dir, 'p'), path.join(dir, 'gone'), { recursive: true });
  const open = (cacheBytes?: number) => loadSegmentationDataset({ path: path.join(dir, 'gone/volumes'), labels: path.join(dir, 'gone/labels'), size: 8, seed: 1, manifest: false, valFraction: 0, testFraction: 0, patch: true, ...(cacheBytes === undefined ? {} : { cacheBytes }) });
  const [cached, uncached] = [await open(), await open(0)];
  const o = { batchSize: 4, patchesPerVolume: 2, shuffle: true, seed: 1 };
  const epoch = async (ds: typeof cached, e: number) => {
    for await (const b of ds.patchBatches('train', { ...o, epoch: e })) tf.dispose([b.x, b.y!]);
  };
  await epoch(cached, 0);
  await epoch(uncached, 0);
  fs.rmSync(path.join(dir, 'gone'), { recursive: true });
  // The files are gone: only volumes held in memory can still give patches.
  await epoch(cached, 1);
  await assert.rejects(epoch(uncached, 1));
});

test('a dataset that squashes volumes much larger than its input says so in the log', async () => {
  const logs: string[] = [];
  const ds = await loadSegmentationDataset({ path: path.join(dir, 'p/volumes'), size: 8, seed: 1, manifest: false, log: (m) => logs.push(m) });
  await ds.load(ds.samples[0]!);
  await ds.load(ds.samples[1]!);
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0]!, /squashed to 8x8x8 voxels \(v0\.nii is 40x40x40.*data\.patch: true/);
  const quiet: string[] = [];
  const fits = await loadSegmentationDataset({ path: path.join(dir, 'p/volumes'), size: 32, seed: 1, manifest: false, log: (m) => quiet.push(m) });
  await fits.load(fits.samples[0]!);
  assert.deepEqual(quiet, []);
});

test('the experiment refuses ill-formed spacing and intensity, and these options on the U-Net', () => {
  const problems = (data: string, model = 'backbone: vit3d') => parseExperiment(`method: segment\ndata: { format: volumes, path: v, labels: l, ${data} }\nmodel: { ${model} }\n`, '/tmp/x.medstudio.yaml').problems.map((p) => p.message);
  assert.deepEqual(problems('spacing: [1, 1, 2], intensity: { percentiles: [0.5, 99.5] }, patch: true'), []);
  assert.match(problems('spacing: [1, 2]').join('\n'), /at least 3/);
  assert.match(problems('spacing: [1, 2, 3, 4]').join('\n'), /three values/);
  assert.match(problems('intensity: { window: [-1000, 400], percentiles: [1, 99] }').join('\n'), /one of window/);
  assert.match(problems('intensity: { percentiles: [99, 1] }').join('\n'), /low < high/);
  assert.match(problems('patch: true', 'backbone: unet').join('\n'), /data\.patch is for the ViT and GL-MAE/);
  const ok = parseExperiment('method: segment\ndata: { format: volumes, path: v, labels: l }\n', '/tmp/x.medstudio.yaml');
  assert.equal(ok.experiment!.data.patch, false);
  assert.equal(ok.experiment!.data.intensity, undefined);
});
