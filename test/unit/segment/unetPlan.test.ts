/**
 * The dataset fingerprint and the automatic configuration made from it: the hippocampus-like
 * dataset gets nnU-Net's 40x56x40 patch and MR normalisation, data that reach air get CT
 * normalisation, a small memory budget shrinks the patch, the features follow the compute
 * budget, every value the experiment gives wins and is recorded as such, impossible patches are
 * refused with the reason, and the optimiser is train.* with nnU-Net's defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { computeFingerprint, type DatasetFingerprint } from '../../../server/src/data/volumes/fingerprint';
import { normaliseIntensities } from '../../../server/src/data/volumes/normalise';
import type { CaseVolume } from '../../../server/src/data/volumes/caseVolume';
import { estimateMB, planUnet, type UnetSettings } from '../../../server/src/methods/segment/unetPlan';
import { unet2dConfig } from '../../../server/src/methods/segment2d/train';
import type { Segmentation2dDataset } from '../../../server/src/data/datasets/segmentation2d';

const CPU = { gpu: false };
const GPU = { gpu: true };

const settings = (over: Partial<UnetSettings> = {}): UnetSettings => ({
  normalisation: 'auto', features: 32, maxFeatures: 320, stages: 0, block: 'plain', deepSupervision: true, batchSize: 0, memoryMB: 2048,
  foreground: 0.33, stepsPerEpoch: 250, mirror: true, overlap: 0.5, largestComponent: false, ...over,
});

function kase(id: string, shape: [number, number, number], spacing: [number, number, number], fill: (i: number) => [number, number]): CaseVolume {
  const n = shape[0] * shape[1] * shape[2];
  const image = new Float32Array(n);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) [image[i], label[i]] = fill(i);
  return { id, shape, spacing, image, label };
}

test('the fingerprint reports median spacing and size, foreground intensity statistics and class frequencies', () => {
  const cases = [
    kase('a', [4, 4, 4], [1, 1, 1], (i) => [i < 16 ? 100 : 0, i < 16 ? 1 : 0]),
    kase('b', [6, 4, 4], [2, 1, 1], (i) => [i < 8 ? 200 : 0, i < 8 ? 2 : 0]),
    kase('c', [8, 4, 4], [3, 1, 1], () => [0, 0]),
  ];
  const fp = computeFingerprint(cases, 3);
  assert.deepEqual(fp.spacing.median, [2, 1, 1]);
  assert.deepEqual(fp.size.median, [6, 4, 4]);
  assert.deepEqual(fp.size.max, [8, 4, 4]);
  assert.equal(fp.cases, 3);
  const total = 64 + 96 + 128;
  assert.ok(Math.abs(fp.classFrequency[1]! - 16 / total) < 1e-12);
  assert.ok(Math.abs(fp.classFrequency[2]! - 8 / total) < 1e-12);
  assert.deepEqual(fp.classPresence, [1, 1 / 3, 1 / 3]);
  // Foreground voxels only: 16 at 100 and 8 at 200.
  assert.ok(Math.abs(fp.intensity.mean - (16 * 100 + 8 * 200) / 24) < 1e-9);
  assert.deepEqual(fp.range, { min: 0, max: 200 });
});

const hippocampusLike: DatasetFingerprint = {
  cases: 140,
  spacing: { median: [1, 1, 1], min: [1, 1, 1], max: [1, 1, 1] },
  size: { median: [36, 50, 35], min: [31, 40, 24], max: [43, 59, 47] },
  intensity: { mean: 240, sd: 80, min: 20, max: 900, p00_5: 60, p99_5: 500 },
  range: { min: 0, max: 1200 },
  classFrequency: [0.97, 0.015, 0.015],
  classPresence: [1, 1, 1],
};

test('a hippocampus-like dataset is planned as nnU-Net plans it: 1 mm, MR z-score, patch 40x56x40, 4 stages', () => {
  const p = planUnet(hippocampusLike, settings(), CPU);
  assert.deepEqual(p.spacing, [1, 1, 1]);
  assert.equal(p.normalisation, 'mr');
  assert.deepEqual(p.patch, [40, 56, 40]);
  assert.equal(p.strides.length, 4);
  assert.deepEqual(p.strides[0], [1, 1, 1]);
  assert.ok(p.batchSize >= 2);
  assert.ok(p.estimatedMB <= 2048, `${p.estimatedMB} MB`);
  assert.deepEqual(Object.values(p.source), ['auto', 'auto', 'auto', 'auto', 'auto', 'experiment']);
});

test('data that reach air (-1000) are normalised as CT', () => {
  const p = planUnet({ ...hippocampusLike, range: { min: -1024, max: 2000 } }, settings(), CPU);
  assert.equal(p.normalisation, 'ct');
  const out = normaliseIntensities(Float32Array.from([-1024, 60, 240, 5000]), 'ct', hippocampusLike);
  assert.deepEqual(Array.from(out), [(60 - 240) / 80, (60 - 240) / 80, 0, (500 - 240) / 80]);
  const mr = normaliseIntensities(Float32Array.from([1, 3]), 'mr', hippocampusLike);
  assert.deepEqual(Array.from(mr), [-1, 1]);
});

test('a small memory budget shrinks the patch until it fits', () => {
  const big: DatasetFingerprint = { ...hippocampusLike, size: { ...hippocampusLike.size, median: [160, 256, 256] } };
  const roomy = planUnet(big, settings({ memoryMB: 1e6 }), GPU);
  const tight = planUnet(big, settings({ memoryMB: 1024 }), GPU);
  assert.deepEqual(roomy.patch, [160, 256, 256]);
  const vox = (t: number[]) => t[0]! * t[1]! * t[2]!;
  assert.ok(vox(tight.patch) < vox(roomy.patch) / 4, `${tight.patch.join('x')}`);
  assert.ok(estimateMB(tight.patch, tight.strides, (s) => Math.min(32 * 2 ** s, 320)) * 2 <= 1024);
  assert.equal(tight.batchSize, 2);
});

test('values the experiment gives win and are recorded as given; an impossible patch is refused', () => {
  const p = planUnet(hippocampusLike, settings({ patch: [32, 48, 32], spacing: [1.5, 1, 1], normalisation: 'none', stages: 3, batchSize: 5 }), CPU);
  assert.deepEqual(p.patch, [32, 48, 32]);
  assert.deepEqual(p.spacing, [1.5, 1, 1]);
  assert.equal(p.normalisation, 'none');
  assert.equal(p.strides.length, 3);
  assert.equal(p.batchSize, 5);
  assert.deepEqual(Object.values(p.source), ['experiment', 'experiment', 'experiment', 'experiment', 'experiment', 'experiment']);
  assert.throws(() => planUnet(hippocampusLike, settings({ patch: [30, 48, 32] }), CPU), /side 0 must be a multiple of 4/);
  assert.throws(() => planUnet(hippocampusLike, settings({ patch: [32, 48] }), CPU), /3 sides/);
});

test('2D data (one slice per case) are planned as a 2D U-Net: depth 1, kernels and strides of 1 along it', () => {
  const slices: DatasetFingerprint = { ...hippocampusLike, size: { median: [1, 128, 128], min: [1, 128, 128], max: [1, 128, 128] } };
  const p = planUnet(slices, settings(), CPU);
  assert.equal(p.patch[0], 1);
  assert.ok(p.strides.every((s) => s[0] === 1));
  assert.ok(p.kernels.every((k) => k[0] === 1 && k[1] === 3 && k[2] === 3));
  assert.equal(p.strides.length, 6);
});

test('backbone unet with a method other than segment is refused at the backbone line', () => {
  const r = parseExperiment('method: supervised\ndata: { format: folder, path: x }\nmodel:\n  backbone: unet\n', '/tmp/x.medstudio.yaml');
  assert.equal(r.experiment, undefined);
  assert.match(r.problems[0]!.message, /needs method 'segment'/);
  assert.equal(r.problems[0]!.start.line, 3);
  const ok = parseExperiment('method: segment\ndata: { format: volumes, path: x, labels: y }\nmodel: { backbone: unet }\nunet: { patch: [40, 56, 40] }\n', '/tmp/x.medstudio.yaml');
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.experiment!.unet.patch, [40, 56, 40]);
});

test('features and batch come from the compute budget: nnU-Net\'s 32 features and a memory-sized batch on a GPU backend, 16 and a batch of 2 on the CPU; a given value wins', () => {
  const cpu = planUnet(hippocampusLike, settings({ features: 0 }), CPU);
  const gpu = planUnet(hippocampusLike, settings({ features: 0 }), GPU);
  assert.equal(cpu.features, 16);
  assert.equal(gpu.features, 32);
  assert.equal(cpu.source.features, 'auto');
  assert.ok(cpu.estimatedMB / cpu.batchSize < gpu.estimatedMB / gpu.batchSize, 'the memory estimate follows the features');
  assert.equal(cpu.batchSize, 2, 'on the CPU the smallest batch: most updates per hour');
  assert.ok(gpu.batchSize > 2, `GPU batch ${gpu.batchSize}`);
  // The 2D U-Net (segment2d) reads the same key: unset (0) it keeps nnU-Net's 32.
  const exp2d = parseExperiment('method: segment2d\ndata: { format: images, path: x, labels: y }\n', '/tmp/x.medstudio.yaml').experiment!;
  assert.equal(exp2d.unet.features, 0);
  assert.equal(unet2dConfig(exp2d, { size: 64, channels: 3, classes: ['background', 'lesion'] } as unknown as Segmentation2dDataset).features, 32);
  const given = planUnet(hippocampusLike, settings({ features: 8 }), GPU);
  assert.equal(given.features, 8);
  assert.equal(given.source.features, 'experiment');
});

test('the U-Net trains with train.* and nnU-Net\'s defaults there (sgd, Nesterov 0.99, lr 0.01, poly); written train keys win; unet.optimizer and unet.lr are refused naming where they went', () => {
  const base = 'method: segment\ndata: { format: volumes, path: x, labels: y }\nmodel: { backbone: unet }\n';
  const d = parseExperiment(base, '/tmp/x.medstudio.yaml').experiment!.train;
  assert.deepEqual([d.optimizer, d.momentum, d.nesterov, d.lr, d.schedule], ['sgd', 0.99, true, 0.01, 'poly']);
  const adam = parseExperiment(base + 'train: { optimizer: adam, lr: 0.001 }\n', '/tmp/x.medstudio.yaml').experiment!.train;
  assert.deepEqual([adam.optimizer, adam.lr, adam.schedule], ['adam', 0.001, 'poly']);
  // Other backbones keep the general defaults.
  const vit = parseExperiment('method: segment\ndata: { format: volumes, path: x, labels: y }\nmodel: { backbone: vit3d }\n', '/tmp/x.medstudio.yaml').experiment!.train;
  assert.deepEqual([vit.optimizer, vit.lr, vit.schedule], ['adam', 0.001, 'cosine']);
  const old = parseExperiment(base + 'unet: { optimizer: adam, lr: 0.001 }\n', '/tmp/x.medstudio.yaml');
  assert.equal(old.experiment, undefined);
  assert.deepEqual(old.problems.map((p) => p.message), [
    "'unet.optimizer' is now 'train.optimizer' (for the U-Net it defaults to sgd with Nesterov momentum 0.99)",
    "'unet.lr' is now 'train.lr' (for the U-Net it defaults to 0.01, on the poly schedule)",
  ]);
  assert.equal(old.problems[0]!.start.line, 3);
});
