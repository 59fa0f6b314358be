/**
 * The benchmarks' cache of pretrained GL-MAE encoders (bench/glmaePretrain.ts): a finished
 * pretraining is reused only for the same variant, seed and config; an unfinished one is trained
 * again; and the experiment it trains is the variant it claims to be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedPretrain, pretrainKey, pretrainSpec, pretrainYaml, type PretrainOutcome } from '../../../bench/glmaePretrain';
import { parseExperiment } from '../../../server/src/experiment/parse';

const DATA = 'hippocampus:200:abc';

test('the cache key changes with seed, variant, epochs, data and config, and not with property order', () => {
  const base = pretrainSpec('glmae', 1, 6, DATA);
  const key = pretrainKey(base);
  assert.equal(pretrainKey(pretrainSpec('glmae', 1, 6, DATA)), key);
  const reordered = Object.fromEntries(Object.entries(base).reverse()) as typeof base;
  assert.equal(pretrainKey(reordered), key);
  const others = [
    pretrainSpec('glmae', 2, 6, DATA),
    pretrainSpec('mae', 1, 6, DATA),
    pretrainSpec('glmae-predictor', 1, 6, DATA),
    pretrainSpec('glmae', 1, 7, DATA),
    pretrainSpec('glmae', 1, 6, 'hippocampus:200:abd'),
    { ...base, glmae: { ...base.glmae, maskRatio: 0.6 } },
    { ...base, version: base.version + 1 },
  ];
  const keys = new Set([key, ...others.map(pretrainKey)]);
  assert.equal(keys.size, others.length + 1, 'every change gives its own entry');
});

test('a finished pretraining is reused; another seed or an unfinished entry trains', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-pretrain-cache-'));
  try {
    const trained: string[] = [];
    const fake = (tag: string) => async (dir: string): Promise<PretrainOutcome> => {
      trained.push(tag);
      const runDir = path.join(dir, 'runs', 'r1');
      fs.mkdirSync(runDir, { recursive: true });
      return { runDir, seconds: 1, final: { g2g: 0.5 }, history: [] };
    };
    const s1 = pretrainSpec('glmae', 1, 6, DATA);
    const first = await cachedPretrain(root, s1, fake('a'));
    assert.equal(first.cached, false);
    const again = await cachedPretrain(root, s1, fake('b'));
    assert.equal(again.cached, true);
    assert.equal(again.runDir, first.runDir);
    assert.deepEqual(again.final, { g2g: 0.5 });
    await cachedPretrain(root, pretrainSpec('glmae', 2, 6, DATA), fake('c'));
    assert.deepEqual(trained, ['a', 'c']);

    // A pretraining that was killed leaves no done.json: it is trained again, not reused.
    const s3 = pretrainSpec('mae', 3, 6, DATA);
    fs.mkdirSync(path.join(root, 'glmae-pretrain', pretrainKey(s3), 'runs', 'partial'), { recursive: true });
    const redo = await cachedPretrain(root, s3, fake('d'));
    assert.equal(redo.cached, false);
    assert.ok(!fs.existsSync(path.join(root, 'glmae-pretrain', pretrainKey(s3), 'runs', 'partial')));
    // An entry whose run folder was deleted is trained again too.
    fs.rmSync(first.runDir, { recursive: true });
    assert.equal((await cachedPretrain(root, s1, fake('e'))).cached, false);
    assert.deepEqual(trained, ['a', 'c', 'd', 'e']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('each variant trains the experiment it names: lambdas 0 for mae, the predictor only for glmae-predictor', () => {
  const resolved = (v: 'glmae' | 'mae' | 'glmae-predictor') => {
    const r = parseExperiment(pretrainYaml(pretrainSpec(v, 2, 6, DATA), '/data/images', '/data/split.csv'), '/ws/p.medstudio.yaml');
    assert.deepEqual(r.problems, []);
    return r.experiment!;
  };
  const g = resolved('glmae');
  assert.equal(g.method, 'glmae');
  assert.equal(g.train.seed, 2);
  assert.equal(g.train.epochs, 6);
  assert.equal(g.data.split, '/data/split.csv');
  assert.deepEqual([g.glmae.lambdaG2G, g.glmae.lambdaL2G, g.glmae.predictor], [1, 1, false]);
  const m = resolved('mae');
  assert.deepEqual([m.glmae.lambdaG2G, m.glmae.lambdaL2G, m.glmae.predictor], [0, 0, false]);
  const p = resolved('glmae-predictor');
  assert.deepEqual([p.glmae.lambdaG2G, p.glmae.lambdaL2G, p.glmae.predictor], [1, 1, true]);
});
