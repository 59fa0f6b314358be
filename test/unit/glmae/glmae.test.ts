import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { createRng } from '../../../server/src/transforms/rng';
import { maskedCount, randomMask } from '../../../server/src/methods/glmae/masking';
import { cosineDistance, maskedReconstructionLoss } from '../../../server/src/methods/glmae/losses';
import { emaUpdate } from '../../../server/src/methods/glmae/ema';
import { ParamStore } from '../../../server/src/networks/vit3dParams';
import { GlmaeModel, otherGlobalView, parentGlobalView } from '../../../server/src/methods/glmae/model';
import { glmaeOptionsFromExperiment, type GlmaeOptions } from '../../../server/src/methods/glmae/options';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { makeBatch } from '../../../server/src/methods/glmae/batch';
import { makeViews } from '../../../server/src/methods/glmae/views';
import { standardise } from '../../../server/src/methods/glmae/volume';
import { syntheticVolume } from './synthetic';

test('the mask covers the requested ratio of patches in every view and keeps the rest visible', () => {
  const rng = createRng(7);
  for (const [n, ratio, want] of [[64, 0.75, 48], [8, 0.75, 6], [27, 0.5, 14], [8, 0, 0], [4, 0.95, 3]] as const) {
    assert.equal(maskedCount(n, ratio), want);
    const m = randomMask(rng, 3, n, ratio);
    for (let b = 0; b < 3; b++) {
      const row = m.mask.subarray(b * n, (b + 1) * n);
      assert.equal(row.reduce((s, v) => s + v, 0), want);
      // every visible patch is selected exactly once, and no masked one
      for (let i = 0; i < n; i++) {
        let sel = 0;
        for (let r = 0; r < m.visible; r++) sel += m.keep[(b * m.visible + r) * n + i]!;
        assert.equal(sel, row[i] ? 0 : 1);
      }
    }
  }
  assert.throws(() => maskedCount(10, 1), /mask ratio must be in \[0, 1\)/);
});

test('masks differ between views and reproduce from the seed', () => {
  const a = randomMask(createRng(1), 2, 64, 0.75);
  const b = randomMask(createRng(1), 2, 64, 0.75);
  assert.deepEqual(a.mask, b.mask);
  assert.notDeepEqual(a.mask.subarray(0, 64), a.mask.subarray(64, 128));
});

test('the reconstruction loss counts masked patches only', async () => {
  await ensureBackend({ threads: 1 });
  const target = tf.tensor3d([[[1, 2, 3, 4], [0, 1, 0, 1], [5, 5, 6, 6]]]);
  const mask = tf.tensor2d([[1, 0, 1]]);
  // a perfect prediction of the normalised masked patches and garbage for the visible one
  const norm = (v: number[]) => {
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length + 1e-6);
    return v.map((x) => (x - m) / sd);
  };
  const pred = tf.tensor3d([[norm([1, 2, 3, 4]), [100, -100, 100, -100], norm([5, 5, 6, 6])]]);
  const l = maskedReconstructionLoss(pred, target, mask);
  assert.ok(Math.abs(l.dataSync()[0]!) < 1e-5, `visible patch leaked into the loss: ${l.dataSync()[0]}`);
  // now the error is on a masked patch: loss = its MSE / number of masked patches
  const pred2 = tf.tensor3d([[[0, 0, 0, 0], [0, 0, 0, 0], norm([5, 5, 6, 6])]]);
  const l2 = maskedReconstructionLoss(pred2, target, mask);
  assert.ok(Math.abs(l2.dataSync()[0]! - 0.5) < 1e-3, `got ${l2.dataSync()[0]}`); // normalised patch has MSE 1 vs zeros, / 2 masked
  tf.dispose([target, mask, pred, l, pred2, l2]);
});

test('with view-normalised targets the loss still ignores visible patches', async () => {
  await ensureBackend({ threads: 1 });
  const target = tf.tensor3d([[[1, 2], [3, 4], [5, 9]]]);
  const mask = tf.tensor2d([[1, 0, 1]]);
  const flat = [1, 2, 3, 4, 5, 9];
  const m = flat.reduce((a, b) => a + b, 0) / 6;
  const sd = Math.sqrt(flat.reduce((a, b) => a + (b - m) ** 2, 0) / 6 + 1e-6);
  const z = (v: number) => (v - m) / sd;
  const pred = tf.tensor3d([[[z(1), z(2)], [50, -50], [z(5), z(9)]]]);
  const l = maskedReconstructionLoss(pred, target, mask, 'view');
  assert.ok(Math.abs(l.dataSync()[0]!) < 1e-5, `got ${l.dataSync()[0]}`);
  tf.dispose([target, mask, pred, l]);
});

test('cosine distance is 0 for parallel, 1 for orthogonal and 2 for opposite embeddings', async () => {
  await ensureBackend({ threads: 1 });
  const a = tf.tensor2d([[1, 0], [0, 2], [3, 3]]);
  const b = tf.tensor2d([[2, 0], [5, 0], [-1, -1]]);
  const d = cosineDistance(a, b);
  assert.ok(Math.abs(d.dataSync()[0]! - (0 + 1 + 2) / 3) < 1e-5);
  tf.dispose([a, b, d]);
});

test('the EMA teacher moves (1 - momentum) of the way towards the student, only for shared parameters', async () => {
  await ensureBackend({ threads: 1 });
  const s = new ParamStore(1);
  const t = new ParamStore(2, false);
  for (const ps of [s, t]) {
    ps.zeros('encoder/w', [2]);
    ps.zeros('decoder/w', [2]);
  }
  s.get('encoder/w').assign(tf.tensor1d([10, 20]));
  s.get('decoder/w').assign(tf.tensor1d([10, 20]));
  t.get('encoder/w').assign(tf.tensor1d([0, 10]));
  emaUpdate(t, s, 0.9, ['encoder/']);
  const got = Array.from(t.get('encoder/w').dataSync());
  assert.ok(Math.abs(got[0]! - 1) < 1e-5 && Math.abs(got[1]! - 11) < 1e-5, String(got));
  assert.deepEqual(Array.from(t.get('decoder/w').dataSync()), [0, 0]);
  s.dispose();
  t.dispose();
});

test('local views lie inside the global view that is their correspondence target', () => {
  const v = standardise(syntheticVolume(3, 24));
  const views = makeViews(v, createRng(5), { inputSize: 16, globalScale: 0.8, localViews: 4, localSize: 8 });
  assert.equal(views.globals[0].length, 16 ** 3);
  views.localBoxes.forEach((lb, i) => {
    const g = views.globalBoxes[views.localParent[i]!]!;
    for (let a = 0; a < 3; a++) {
      assert.ok(lb.start[a]! >= g.start[a]! && lb.start[a]! + lb.size[a]! <= g.start[a]! + g.size[a]!, `local ${i} leaves its global view on axis ${a}`);
    }
  });
});

const tinyOptions = (o: Partial<GlmaeOptions> = {}): GlmaeOptions => ({
  encoder: { inputSize: 16, patchSize: 4, channels: 1, embedDim: 32, depth: 2, heads: 2, mlpRatio: 2 },
  decoder: { width: 16, depth: 1, heads: 2 },
  projectionDim: 16,
  projectionHidden: 32,
  maskRatio: 0.75,
  target: 'view',
  localViews: 2,
  globalScale: 0.8,
  localSize: 8,
  lambdaG2G: 1,
  lambdaL2G: 1,
  emaMomentum: 0.9,
  predictor: false,
  lr: 3e-3,
  weightDecay: 0,
  seed: 1,
  ...o,
});

test('a few GL-MAE steps lower the loss on a fixed batch, each term is reported, and no tensor leaks', async () => {
  await ensureBackend({ threads: 1 });
  const o = tinyOptions();
  const model = new GlmaeModel(o);
  const vols = [standardise(syntheticVolume(1)), standardise(syntheticVolume(2))];
  const batch = makeBatch(vols, createRng(9), { ...o, inputSize: 16, patchSize: 4 });
  const first = await model.evaluate(batch);
  for (const k of ['recGlobal', 'recLocal', 'g2g', 'l2g'] as const) assert.ok(Number.isFinite(first[k]) && first[k] > 0, `${k} = ${first[k]}`);
  assert.ok(Math.abs(first.loss - (first.recGlobal + first.recLocal + first.g2g + first.l2g)) < 1e-4);
  await model.step(batch); // the optimiser creates its slots on the first step
  const before = tf.memory().numTensors;
  for (let i = 0; i < 14; i++) await model.step(batch);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked across steps');
  const last = await model.evaluate(batch);
  assert.ok(last.loss < 0.8 * first.loss, `loss ${first.loss} -> ${last.loss}`);
  model.dispose();
});

test('with both lambdas at 0 the loss is the reconstruction alone (the ablation)', async () => {
  await ensureBackend({ threads: 1 });
  const o = tinyOptions({ lambdaG2G: 0, lambdaL2G: 0 });
  const model = new GlmaeModel(o);
  const batch = makeBatch([standardise(syntheticVolume(4))], createRng(2), { ...o, inputSize: 16, patchSize: 4 });
  const t = await model.evaluate(batch);
  assert.ok(Math.abs(t.loss - (t.recGlobal + t.recLocal)) < 1e-5);
  assert.ok(t.g2g > 0, 'the consistency terms are still measured and logged');
  model.dispose();
});

/** A volume of one constant intensity: every view cut from it is that constant, so a row names its volume. */
const constantVolume = (value: number, side = 24) => ({ data: new Float32Array(side ** 3).fill(value), dims: [side, side, side] as [number, number, number] });

test('global-to-global consistency pairs each masked global view with the other view of the same volume', () => {
  const vols = [1, 2, 3].map((v) => constantVolume(v));
  const batch = makeBatch(vols, createRng(4), { inputSize: 8, patchSize: 4, maskRatio: 0.5, localViews: 2, globalScale: 0.8, localSize: 8 });
  const s3 = 8 ** 3;
  const volumeOfRow = (r: number) => batch.globals[r * s3]!;
  // Stand in for the teacher's embeddings: row r carries its own index.
  const teacherG = tf.tensor2d(Array.from({ length: 6 }, (_, r) => [r, 0]), [6, 2]);
  const paired = Array.from(otherGlobalView(teacherG, 3).dataSync()).filter((_, i) => i % 2 === 0);
  paired.forEach((partner, row) => {
    assert.notEqual(partner, row, `row ${row} is paired with itself (the same view, not the other one)`);
    assert.equal(volumeOfRow(partner), volumeOfRow(row), `row ${row} is paired with a view of another volume`);
  });
  teacherG.dispose();
});

test('local-to-global correspondence targets the global view that contains each local view', () => {
  const vols = [1, 2].map((v) => constantVolume(v));
  const o = { inputSize: 8, patchSize: 4, maskRatio: 0.5, localViews: 4, globalScale: 0.8, localSize: 8 };
  const batch = makeBatch(vols, createRng(6), o);
  const l3 = 8 ** 3;
  const teacherG = tf.tensor2d(Array.from({ length: 4 }, (_, r) => [r]), [4, 1]);
  const targets = Array.from(parentGlobalView(teacherG, batch.localParent).dataSync());
  teacherG.dispose();
  targets.forEach((row, j) => {
    const volume = Math.floor(j / o.localViews);
    // Same volume (the constant) and the view makeViews says contains it (local j of a volume lies in global view j % 2).
    assert.equal(batch.globals[row * 8 ** 3], batch.locals[j * l3], `local ${j} targets a view of another volume`);
    assert.equal(row, (j % o.localViews) % 2 === 0 ? volume : vols.length + volume, `local ${j} targets the wrong global view of its volume`);
  });
});

test('the student has no predictor head unless asked for (the paper has none)', async () => {
  await ensureBackend({ threads: 1 });
  const parsed = parseExperiment('method: glmae\ndata: {format: volumes, path: vols}\nmodel: {inputSize: 16, patchSize: 4, embedDim: 32, depth: 1, heads: 2}\n', 'x.yaml');
  assert.ok(parsed.experiment, JSON.stringify(parsed.problems));
  assert.equal(glmaeOptionsFromExperiment(parsed.experiment).predictor, false);
  const plain = new GlmaeModel(tinyOptions());
  assert.equal(plain.student.entries('pred/').length, 0);
  plain.dispose();
  const withPredictor = new GlmaeModel(tinyOptions({ predictor: true }));
  assert.ok(withPredictor.student.entries('pred/').length > 0);
  const batch = makeBatch([standardise(syntheticVolume(8))], createRng(3), { ...tinyOptions(), inputSize: 16, patchSize: 4 });
  assert.ok(Number.isFinite((await withPredictor.evaluate(batch)).g2g));
  withPredictor.dispose();
});
