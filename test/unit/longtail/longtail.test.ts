import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { balancePlan, flagSuspects, inverseFrequencyWeights, foldSeed, heldOutIds, predictWithTta, recordFold, roundFromJson, roundProbs, roundToJson, startRound, scoreLabels, stratifiedFolds, suspectsReport, tauNormalise, transferWeights, ttaViews, writeSuspectsReport } from '../../../server/src/methods/longtail';
import { buildResNetClassifier, defaultStages } from '../../../server/src/networks/resnet';
import { classBalancedWeights, loadClassificationDataset } from '../../../server/src/data/datasets';
import { makeLesionFixture } from '../care/fixture';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('re-weighting gives rare classes larger loss weights, averaging 1 over the training set', () => {
  const counts = [80, 15, 5];
  const w = inverseFrequencyWeights(counts);
  close(w[0]!, 100 / (3 * 80));
  close(w[2]!, 100 / (3 * 5));
  close(counts.reduce((a, c, i) => a + c * w[i]!, 0) / 100, 1);
  assert.deepEqual(inverseFrequencyWeights([4, 0]), [1, 0]);
  assert.deepEqual(balancePlan('sampler', [2, 4]), { samplerWeights: [0.5, 0.25] });
  assert.deepEqual(balancePlan('none', [2, 4]), {});
});

test('tau-normalisation divides each class column by its norm to the power tau', async () => {
  await ensureBackend({ backend: 'cpu' });
  const k = tf.tensor2d([[3, 0], [4, 2]]); // column norms 5 and 2
  assert.deepEqual(Array.from(tauNormalise(k, 1).dataSync()).map((v) => Math.round(v * 1e6) / 1e6), [0.6, 0, 0.8, 1]);
  const half = tauNormalise(k, 0.5).dataSync();
  close(half[0]!, 3 / Math.sqrt(5));
  close(half[3]!, 2 / Math.sqrt(2));
  assert.deepEqual(Array.from(tauNormalise(k, 0).dataSync()), [3, 0, 4, 2]);
  k.dispose();
});

test('TTA averages the softmax over 7 views: flips and one-pixel shifts', async () => {
  await ensureBackend({ backend: 'cpu' });
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
  const views = ttaViews(x);
  assert.equal(views.length, 7);
  assert.deepEqual(Array.from(views[1]!.dataSync()).slice(0, 4), [3, 2, 1, 0], 'horizontal flip');
  assert.deepEqual(Array.from(views[3]!.dataSync()).slice(4, 8), [0, 1, 2, 3], 'shift down by one, edge repeated');
  // logits = [mean pixel, 0]: the mean over views of softmax, checked by hand
  const logitsOf = (v: tf.Tensor4D) => tf.stack([tf.mean(v, [1, 2, 3]), tf.zeros([1])], 1) as tf.Tensor2D;
  const p = predictWithTta(logitsOf, x).dataSync();
  const want = views.map((v) => 1 / (1 + Math.exp(-tf.mean(v).dataSync()[0]!))).reduce((a, b) => a + b, 0) / 7;
  close(p[0]!, want, 1e-5);
  tf.dispose([x, ...views]);
});

test('data cleaning flags the worst-scored labels the model disputes and writes a review queue the annotator reads', async () => {
  // item b: given class 0 but the model is sure of class 1 -> most suspect
  const probs = [0.9, 0.1, 0.05, 0.95, 0.6, 0.4, 0.3, 0.7];
  const items = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, image: `/data/${id}.png`, imageId: i + 1, label: [0, 0, 0, 1][i]! }));
  const scores = scoreLabels(probs, items, 2);
  close(scores[1]!.score, -Math.log(0.05));
  const flagged = flagSuspects(scores, 0.5);
  assert.deepEqual(flagged.map((s) => s.id), ['b'], 'c is among the worst half but the model agrees with its label');
  const report = suspectsReport(1, ['benign', 'malignant'], flagged, 4);
  assert.deepEqual(report.suspects, [{ image: '/data/b.png', imageId: 2, id: 'b', givenLabel: 'benign', suggestedLabel: 'malignant', score: Number((-Math.log(0.05)).toFixed(6)) }]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-clean-')), 'round-1.suspects.json');
  await writeSuspectsReport(file, report);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).suspects[0].givenLabel, 'benign');
});

test('data cleaning under imbalance flags per class, so the rare class keeps its images', () => {
  // 90 common images and 10 rare ones; a model that has not learnt the rare class well scores
  // every rare label badly. A global "worst 10%" would flag all ten rare images.
  const items = Array.from({ length: 100 }, (_, i) => ({ id: `im${String(i).padStart(3, '0')}`, image: `/d/${i}.png`, label: i < 90 ? 0 : 1 }));
  const probs = items.flatMap((it, i) => (it.label === 0 ? [0.9 - (i % 9) * 0.05, 0.1 + (i % 9) * 0.05] : [0.8, 0.2]));
  const flagged = flagSuspects(scoreLabels(probs, items, 2), 0.1);
  const rare = flagged.filter((s) => s.given === 1);
  assert.equal(rare.length, 1, `flagged ${rare.length} of the 10 rare-class images`);
  assert.ok(flagged.filter((s) => s.given === 0).length <= 9);
});

test('out-of-fold scores come from models that never saw the image, with folds stratified by class', () => {
  const labels = [...Array(12).fill(0), ...Array(4).fill(1)] as number[];
  const samples = labels.map((label, i) => ({ id: `im${i}`, label }));
  const round = startRound(1, samples, 4, 2, 3);
  const folds = round.folds;
  for (let f = 0; f < 4; f++) {
    assert.equal(folds.filter((g, i) => g === f && labels[i] === 1).length, 1, `fold ${f} has one rare image`);
    assert.equal(folds.filter((g, i) => g === f && labels[i] === 0).length, 3);
  }
  assert.deepEqual(startRound(1, samples, 4, 2, 3).folds, folds, 'the same seed gives the same folds');
  assert.deepEqual(folds, stratifiedFolds(labels, 4, foldSeed(3, 1)));
  const trainedOn: Set<string>[] = [];
  for (let f = 0; f < 4; f++) {
    assert.throws(() => roundProbs(round), /have not scored their images/, 'a round is not scored until every fold has been');
    const held = heldOutIds(round, f);
    trainedOn[f] = new Set(samples.filter((s) => !held.has(s.id)).map((s) => s.id));
    // The "model" of fold f predicts the whole training split (as the run does), answering [(f + 1) / 10, ...] for every image.
    recordFold(round, f, { ids: samples.map((s) => s.id), probs: Float32Array.from(samples.flatMap(() => [(f + 1) / 10, 1 - (f + 1) / 10])) });
    if (f === 1) {
      const resumed = roundFromJson(JSON.parse(JSON.stringify(roundToJson(round))) as Record<string, unknown>);
      assert.deepEqual(Array.from(resumed.probs, (v) => Number.isNaN(v)), Array.from(round.probs, (v) => Number.isNaN(v)), 'a resumed round keeps which folds are scored');
    }
  }
  const probs = roundProbs(round);
  samples.forEach((s, i) => {
    assert.ok(Math.abs(probs[i * 2]! - (folds[i]! + 1) / 10) < 1e-6, `image ${i} was scored by the model of the fold that held it out`);
    assert.ok(!trainedOn[folds[i]!]!.has(s.id), `image ${i} was in the training set of the model that scored it`);
  });
  assert.throws(() => recordFold(startRound(1, samples, 4, 2, 3), 0, { ids: ['im0'], probs: [0.5, 0.5] }), /no prediction for held-out image/);
});

test('the training batches of a cleaning fold leave out its held-out images', async () => {
  const fx = makeLesionFixture();
  const ds = await loadClassificationDataset({ format: 'csv', path: fx.csv, inputSize: 8, seed: 1 });
  const train = ds.split('train');
  const skip = new Set(train.filter((_, i) => i % 3 === 0).map((s) => s.id));
  for (const weights of [undefined, classBalancedWeights(ds.counts.train)]) {
    const o = { batchSize: 4, shuffle: true, seed: 2, epoch: 0, skip, ...(weights ? { weights } : {}) };
    const seen: string[] = [];
    let batches = 0;
    for await (const b of ds.batches('train', o)) {
      seen.push(...b.samples.map((s) => s.id));
      batches++;
      tf.dispose([b.x, b.y]);
    }
    assert.equal(batches, ds.batchCount('train', o));
    assert.equal(seen.length, train.length - skip.size);
    assert.ok(!seen.some((id) => skip.has(id)), 'no held-out image in a training batch');
  }
});

test('hi-res fine-tuning: every weight of a 28 px ResNet transfers to the 56 px one, which then predicts', async () => {
  await ensureBackend({ backend: 'cpu' });
  const stages = defaultStages(28);
  const small = buildResNetClassifier({ inputSize: 28, channels: 1, width: 4, depth: 1, stages, numClasses: 2, seed: 1 });
  const big = buildResNetClassifier({ inputSize: 56, channels: 1, width: 4, depth: 1, stages, numClasses: 2, seed: 2 });
  transferWeights(small.model, big.model);
  const a = small.model.getWeights();
  const b = big.model.getWeights();
  a.forEach((w, i) => assert.deepEqual(Array.from(b[i]!.dataSync()), Array.from(w.dataSync())));
  const out = big.model.predict(tf.zeros([1, 56, 56, 1])) as tf.Tensor[];
  assert.deepEqual(out[1]!.shape, [1, 2]);
  const other = buildResNetClassifier({ inputSize: 28, channels: 1, width: 8, depth: 1, stages, numClasses: 2 });
  assert.throws(() => transferWeights(small.model, other.model), /is 3x3x1x4, needs 3x3x1x8/);
  tf.dispose([...out]);
  for (const n of [small, big, other]) n.dispose();
});
