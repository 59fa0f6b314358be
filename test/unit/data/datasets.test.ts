import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import {
  classBalancedWeights,
  CsvError,
  DatasetError,
  describeImbalance,
  encodeNpy,
  encodeNpz,
  loadClassificationDataset,
  loadSegmentationDataset,
  NpyError,
  parseNpy,
  stratifiedSplit,
  type ClassificationDataset,
} from '../../../server/src/data/datasets';
import { encodeNiftiGz } from '../../../server/src/data/writers/nifti';
import { serializeCoco } from '../../../server/src/formats/coco';
import { tempDir } from './fixtures';

const CLASSES = ['common', 'middle', 'rare'];
const COUNTS = [24, 10, 4];

/** A solid-colour 8x8 PNG per sample: class c has red = 60 c + 20, so inputs reveal labels. */
function writeSolidPng(file: string, c: number, width = 8, height = 8) {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([60 * c + 20, 100, 200, 255], i * 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2 }));
}

function makeCsvDataset(withSplit: boolean): string {
  const dir = tempDir('csvds');
  const lines = [withSplit ? 'path,label,split' : 'path,label'];
  const coco = { images: [] as { id: number; file_name: string; width: number; height: number }[], annotations: [] as never[], categories: CLASSES.map((name, i) => ({ id: i + 1, name })) };
  let id = 0;
  CLASSES.forEach((cls, c) => {
    for (let k = 0; k < COUNTS[c]!; k++) {
      const rel = `img/${cls}-${k}.png`;
      writeSolidPng(path.join(dir, rel), c);
      lines.push(withSplit ? `${rel},${cls},${k === 0 ? 'test' : k === 1 ? 'val' : 'train'}` : `${rel},${cls}`);
      id++;
      coco.images.push({ id, file_name: rel, width: 8, height: 8 });
      if (cls === 'rare') (coco.annotations as unknown[]).push({ id, image_id: id, category_id: 3, bbox: [2, 2, 4, 2], area: 8, iscrowd: 0, source: 'manual' });
    }
  });
  fs.writeFileSync(path.join(dir, 'labels.csv'), lines.join('\n') + '\n');
  // Categories in a non-alphabetical order, to show they set the class order.
  fs.writeFileSync(path.join(dir, 'boxes.coco.json'), serializeCoco({ ...coco, annotations: coco.annotations }));
  return path.join(dir, 'labels.csv');
}

async function collect(ds: ClassificationDataset, split: 'train' | 'val' | 'test', opts: Parameters<ClassificationDataset['batches']>[1]) {
  const ids: string[] = [];
  const labels: number[] = [];
  for await (const b of ds.batches(split, opts)) {
    assert.equal(b.y.dtype, 'int32');
    assert.deepEqual(b.x.shape, [b.samples.length, ...ds.inputShape]);
    labels.push(...(await b.y.data()));
    ids.push(...b.samples.map((s) => s.id));
    tf.dispose([b.x, b.y, ...(b.mask ? [b.mask] : [])]);
  }
  return { ids, labels };
}

test('CSV dataset: given splits, classes from the COCO categories, counts, imbalance, inputs, box lookup', async () => {
  const ds = await loadClassificationDataset({ format: 'csv', path: makeCsvDataset(true), inputSize: 4, seed: 1 });
  assert.deepEqual(ds.classes, CLASSES);
  assert.equal(ds.splitSource, 'given');
  assert.deepEqual(ds.counts, { train: [22, 8, 2], val: [1, 1, 1], test: [1, 1, 1] });
  assert.equal(ds.spatialDims, 2);
  assert.deepEqual(ds.inputShape, [4, 4, 3]);
  assert.match(ds.imbalance, /^imbalanced: 38 samples in 3 classes; largest common 24 \(63\.2%\), smallest rare 4 \(10\.5%\), ratio 6\.0:1$/);
  const rare = ds.samples.find((s) => s.label === 2)!;
  const x = await ds.load(rare);
  assert.equal(x.length, 48);
  assert.ok(Math.abs(x[0]! - 140 / 255) < 1e-6 && Math.abs(x[2]! - 200 / 255) < 1e-6, `RGB scaled to [0, 1]: ${x[0]}, ${x[2]}`);
  x.fill(-1);
  assert.ok(Math.abs((await ds.load(rare))[0]! - 140 / 255) < 1e-6, 'changing a loaded input leaves the cache intact');
  assert.ok(rare.imageId !== undefined);
  assert.deepEqual(ds.boxesOf(rare), [{ bbox: [1, 1, 2, 1], category: 'rare', source: 'manual' }]);
  assert.deepEqual(ds.boxesOf(ds.samples.find((s) => s.label === 0)!), []);
});

test('CSV dataset without splits: seeded stratified split, every class in val and test, same seed same split', async () => {
  const csv = makeCsvDataset(false);
  const a = await loadClassificationDataset({ format: 'csv', path: csv, inputSize: 4, seed: 7, channels: 1 });
  const b = await loadClassificationDataset({ format: 'csv', path: csv, inputSize: 4, seed: 7, channels: 1 });
  const c = await loadClassificationDataset({ format: 'csv', path: csv, inputSize: 4, seed: 8, channels: 1 });
  assert.equal(a.splitSource, 'stratified');
  assert.deepEqual(a.samples.map((s) => s.split), b.samples.map((s) => s.split));
  assert.notDeepEqual(a.samples.map((s) => s.split), c.samples.map((s) => s.split));
  for (const s of ['val', 'test'] as const) assert.ok(a.counts[s].every((n) => n >= 1), `${s}: ${a.counts[s].join(', ')}`);
  assert.deepEqual(a.inputShape, [4, 4, 1]);
  // 10 of class 0: 2 val, 2 test (round(1.5)); 3 of class 1: at least 1 val and 1 test.
  assert.equal(stratifiedSplit([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], 3).filter((s) => s === 'train').length, 7);
});

test('batches: cover the split once per epoch, reproducible per (seed, epoch), class-balanced sampling, no leaked tensors', async () => {
  const ds = await loadClassificationDataset({ format: 'csv', path: makeCsvDataset(true), inputSize: 4, seed: 1 });
  const before = tf.memory().numTensors;
  const e0 = await collect(ds, 'train', { batchSize: 5, shuffle: true, seed: 3, epoch: 0, augment: true });
  const again = await collect(ds, 'train', { batchSize: 5, shuffle: true, seed: 3, epoch: 0, augment: true });
  const e1 = await collect(ds, 'train', { batchSize: 5, shuffle: true, seed: 3, epoch: 1 });
  assert.deepEqual(e0.ids, again.ids);
  assert.notDeepEqual(e0.ids, e1.ids);
  assert.deepEqual([...e0.ids].sort(), ds.split('train').map((s) => s.id).sort());
  assert.equal(ds.batchCount('train', { batchSize: 5 }), 7);
  const balanced = await collect(ds, 'train', { batchSize: 8, seed: 4, weights: classBalancedWeights(ds.counts.train), epochSize: 300 });
  const per = [0, 1, 2].map((c) => balanced.labels.filter((l) => l === c).length);
  assert.ok(per.every((n) => n > 70 && n < 130), `balanced draws per class: ${per.join(', ')}`);
  assert.equal(tf.memory().numTensors, before);
});

test('batches with box masks: the rare images carry their box, others an empty mask', async () => {
  const ds = await loadClassificationDataset({ format: 'csv', path: makeCsvDataset(true), inputSize: 8, seed: 1 });
  for await (const b of ds.batches('train', { batchSize: 64, boxMask: true })) {
    const m = (await b.mask!.data()) as Float32Array;
    b.samples.forEach((s, k) => {
      const sum = m.subarray(k * 64, (k + 1) * 64).reduce((a, v) => a + v, 0);
      assert.equal(sum, s.label === 2 ? 8 : 0);
      assert.equal(b.hasBox![k], s.label === 2);
    });
    tf.dispose([b.x, b.y, b.mask!]);
  }
});

test('folder dataset with train/val/test folders honours them; few-label subsets keep every class', async () => {
  const dir = tempDir('folderds');
  for (const [split, n] of [['train', 5], ['val', 1], ['test', 1]] as const) for (const [c, cls] of ['a', 'b'].entries()) for (let k = 0; k < n; k++) writeSolidPng(path.join(dir, split, cls, `${k}.png`), c);
  const ds = await loadClassificationDataset({ format: 'folder', path: dir, inputSize: 8, seed: 1, labelled: 2 });
  assert.deepEqual(ds.classes, ['a', 'b']);
  assert.deepEqual(ds.counts, { train: [1, 1], val: [1, 1], test: [1, 1] });
  assert.ok(ds.samples[0]!.id.includes('/'));
});

test('npz datasets: MedMNIST-style 2D grey and 3D volumes', async () => {
  const dir = tempDir('npz');
  const n = { train: 6, val: 2, test: 2 };
  const arrays2: Record<string, { data: Uint8Array; shape: number[] }> = {};
  const arrays3: Record<string, { data: Uint8Array; shape: number[] }> = {};
  for (const [split, count] of Object.entries(n)) {
    arrays2[`${split}_images`] = { data: new Uint8Array(count * 28 * 28).map((_, i) => (Math.floor(i / 784) % 2) * 255), shape: [count, 28, 28] };
    arrays2[`${split}_labels`] = { data: new Uint8Array(count).map((_, i) => i % 2), shape: [count, 1] };
    arrays3[`${split}_images`] = { data: new Uint8Array(count * 8 * 8 * 8).fill(128), shape: [count, 8, 8, 8] };
    arrays3[`${split}_labels`] = { data: new Uint8Array(count).map((_, i) => i % 3), shape: [count, 1] };
  }
  fs.writeFileSync(path.join(dir, 'two.npz'), encodeNpz(arrays2));
  fs.writeFileSync(path.join(dir, 'three.npz'), encodeNpz(arrays3));
  const d2 = await loadClassificationDataset({ format: 'npz', path: path.join(dir, 'two.npz'), inputSize: 14, seed: 1, classes: ['negative', 'positive'] });
  assert.deepEqual([d2.spatialDims, d2.inputShape, d2.counts.train], [2, [14, 14, 1], [3, 3]]);
  const odd = await d2.load(d2.split('train')[1]!);
  assert.ok(odd.every((v) => v === 1), 'image 1 is all 255 -> 1.0');
  const d3 = await loadClassificationDataset({ format: 'npz', path: path.join(dir, 'three.npz'), inputSize: 4, seed: 1 });
  assert.deepEqual([d3.spatialDims, d3.inputShape, d3.classes], [3, [4, 4, 4, 1], ['0', '1', '2']]);
  const v = await d3.load(d3.samples[0]!);
  assert.ok(Math.abs(v[0]! - 128 / 255) < 1e-6);
});

test('npy: round trip, big-endian input, and clear errors', () => {
  const a = parseNpy(encodeNpy(new Float32Array([1.5, -2, 3]), [3]), 'a.npy');
  assert.deepEqual([a.shape, Array.from(a.data), a.dtype], [[3], [1.5, -2, 3], '<f4']);
  const be = encodeNpy(new Int16Array([0x0102, -3]), [2]);
  const beBytes = new Uint8Array(be);
  beBytes[Buffer.from(be).indexOf("'<i2'") + 1] = '>'.charCodeAt(0);
  const dataStart = be.length - 4;
  beBytes.set([0x01, 0x02, 0xff, 0xfd], dataStart);
  assert.deepEqual(Array.from(parseNpy(beBytes, 'be.npy').data), [0x0102, -3]);
  assert.throws(() => parseNpy(new TextEncoder().encode('hello world'), 'x.npy'), (e: unknown) => e instanceof NpyError && /x\.npy: is not a \.npy/.test(e.message));
  const fortran = new Uint8Array(encodeNpy(new Uint8Array(4), [2, 2]));
  fortran.set(new TextEncoder().encode("'fortran_order': True, "), 10 + "{'descr': '|u1', ".length);
  assert.throws(() => parseNpy(fortran, 'f.npy'), /Fortran order/);
  assert.throws(() => parseNpy(encodeNpy(new Float64Array(4), [4]).subarray(0, 100), 't.npy'), /truncated/);
});

test('bad manifests and folders name the file, line and problem', async () => {
  const dir = tempDir('badcsv');
  const w = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  writeSolidPng(path.join(dir, 'ok.png'), 0);
  const load = (p: string, extra: object = {}) => loadClassificationDataset({ format: 'csv', path: p, inputSize: 4, seed: 1, ...extra });
  await assert.rejects(load(w('nocol.csv', 'file,label\nok.png,a\n')), (e: unknown) => e instanceof CsvError && /nocol\.csv:1: .*'path' and 'label'/.test(e.message));
  await assert.rejects(load(w('split.csv', 'path,label,split\nok.png,a,train\nok.png,a,holdout\n')), /split\.csv:3: split 'holdout' is not train, val or test/);
  await assert.rejects(load(w('missing.csv', 'path,label\nok.png,a\ngone.png,b\n')), (e: unknown) => e instanceof DatasetError && /1 listed file does not exist: gone\.png \(line 3\)/.test(e.message));
  await assert.rejects(load(w('labels.csv', 'path,label\nok.png,a\n'), { classes: ['b'] }), /labels a that are not in classes \(b\)/);
  await assert.rejects(load(w('quote.csv', 'path,label\n"ok.png,a\n')), /quote\.csv:2: a quoted field is not closed/);
  await assert.rejects(loadClassificationDataset({ format: 'folder', path: tempDir('empty'), inputSize: 4, seed: 1 }), /holds no images in class folders/);
});

test('describeImbalance golden sentences', () => {
  assert.equal(describeImbalance(['a', 'b'], { train: [10, 9], val: [0, 0], test: [0, 0] }), 'balanced: 19 samples in 2 classes; largest a 10 (52.6%), smallest b 9 (47.4%), ratio 1.1:1');
  assert.equal(
    describeImbalance(['a', 'b', 'c'], { train: [90, 6, 0], val: [5, 1, 0], test: [0, 0, 0] }),
    'strongly imbalanced: 102 samples in 3 classes; largest a 95 (93.1%), smallest c 0 (0.0%), ratio 13.6:1; no samples of c',
  );
});

test('segmentation dataset: volume + label pairs resized (nearest labels), manifest splits, augmentation moves both', async () => {
  const dir = tempDir('seg');
  fs.mkdirSync(path.join(dir, 'volumes'));
  fs.mkdirSync(path.join(dir, 'labels'));
  const g = { spacing: [1, 1, 2] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  const lines = ['path,label,split'];
  for (let v = 0; v < 4; v++) {
    const hu = new Int16Array(8 * 8 * 8);
    const lab = new Uint8Array(8 * 8 * 8);
    for (let z = 0; z < 8; z++) for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
      const i = (z * 8 + y) * 8 + x;
      lab[i] = x < 4 ? 1 : x >= 6 && y >= 6 ? 2 : 0;
      hu[i] = lab[i]! * 500 - 1000;
    }
    const name = `v${v}.nii.gz`;
    fs.writeFileSync(path.join(dir, 'volumes', name), encodeNiftiGz({ data: hu, dims: [8, 8, 8], ...g }));
    fs.writeFileSync(path.join(dir, 'labels', name), encodeNiftiGz({ data: lab, dims: [8, 8, 8], ...g }));
    lines.push(`volumes/${name},x,${v === 3 ? 'test' : 'train'}`);
  }
  fs.writeFileSync(path.join(dir, 'manifest.csv'), lines.join('\n'));
  const ds = await loadSegmentationDataset({ path: path.join(dir, 'volumes'), labels: path.join(dir, 'labels'), size: 4, seed: 1, intensity: { window: [-1000, 0] } });
  assert.deepEqual(ds.classes, ['background', '1', '2']);
  assert.deepEqual(ds.counts, { train: 3, val: 0, test: 1 });
  const one = await ds.load(ds.samples[0]!);
  assert.deepEqual([...new Set(one.label!)].sort(), [0, 1, 2]);
  const before = tf.memory().numTensors;
  for await (const b of ds.batches('train', { batchSize: 2, shuffle: true, seed: 2, augment: { rotate: 20 } })) {
    assert.deepEqual(b.x.shape, [b.samples.length, 4, 4, 4, 1]);
    const x = await b.x.data();
    const y = await b.y!.data();
    assert.ok([...new Set(y)].every((v) => v === 0 || v === 1 || v === 2));
    // Image and labels moved together: bright voxels are labelled (window maps label 2 -> 1.0, label 1 -> 0.5).
    let agree = 0;
    for (let i = 0; i < y.length; i++) if ((y[i] === 0 && x[i]! < 0.25) || (y[i]! > 0 && x[i]! > 0.25)) agree++;
    assert.ok(agree / y.length > 0.8, `image/label agreement ${agree}/${y.length}`);
    tf.dispose([b.x, b.y!]);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('a split file the experiment names must give every volume a split; a partial manifest beside the volumes is ignored', async () => {
  const dir = tempDir('seg-split');
  fs.mkdirSync(path.join(dir, 'volumes'));
  const g = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  for (let v = 0; v < 3; v++) fs.writeFileSync(path.join(dir, 'volumes', `v${v}.nii.gz`), encodeNiftiGz({ data: new Int16Array(8), dims: [2, 2, 2], ...g }));
  const partial = 'path,split\nvolumes/v0.nii.gz,test\nvolumes/v1.nii.gz,train\n';
  fs.writeFileSync(path.join(dir, 'fixed.csv'), partial);
  const spec = { path: path.join(dir, 'volumes'), size: 2, seed: 1 };
  await assert.rejects(loadSegmentationDataset({ ...spec, manifest: path.join(dir, 'fixed.csv') }), /fixed\.csv: gives no split for 1 volume\(s\) .*v2\.nii\.gz/);
  fs.writeFileSync(path.join(dir, 'bad.csv'), 'path,split\nvolumes/v0.nii.gz,holdout\n');
  await assert.rejects(loadSegmentationDataset({ ...spec, manifest: path.join(dir, 'bad.csv') }), /bad\.csv: line 2: split 'holdout' is not train, val or test/);
  await assert.rejects(loadSegmentationDataset({ ...spec, manifest: path.join(dir, 'nope.csv') }), /nope\.csv: does not exist/);
  // The same partial file found beside the volumes (not named by the experiment) leaves the seeded split.
  fs.writeFileSync(path.join(dir, 'manifest.csv'), partial);
  const ds = await loadSegmentationDataset(spec);
  assert.equal(ds.samples.length, 3);
});
