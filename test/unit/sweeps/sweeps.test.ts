/** Sweep blocks: validation with ranges, grid/random expansion (golden), trial files, the table, settings diff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { schemaAt } from '../../../server/src/experiment/schema';
import { sweepableKeys } from '../../../server/src/experiment/sweepParams';
import { loadExperiment } from '../../../server/src/experiment/load';
import { expandSweep, describeTrial } from '../../../server/src/sweeps/expand';
import { trialYaml } from '../../../server/src/sweeps/record';
import { bestRow, formatSweepTable, sortRows } from '../../../server/src/sweeps/table';
import { flattenSettings, settingsDiff } from '../../../server/src/runs/compare';
import type { SweepBlock } from '../../../server/src/experiment/types';
import type { SweepTable, TrialRow } from '../../../server/src/protocol';

const BASE = `method: supervised
data: { format: csv, path: data/labels.csv, classes: [a, b] }
model: { backbone: resnet, width: 8 }
train: { epochs: 2, lr: 0.01 }
`;

function parse(sweep: string) {
  return parseExperiment(BASE + sweep, '/ws/exp/x.medstudio.yaml');
}

test('a grid sweep block parses with its defaults; a file without one has no sweep key', () => {
  const r = parse(`sweep:\n  seeds: [1, 2]\n  params:\n    train.lr: [0.001, 0.01]\n    model.width: [8, 16]\n    method: [supervised, care]\n`);
  // method: care needs data.rare, but trials are checked when their files are written, not here.
  assert.deepEqual(r.problems, []);
  assert.equal(r.experiment?.sweep?.strategy, 'grid');
  assert.equal(r.experiment?.sweep?.concurrency, 1);
  assert.equal(r.experiment?.sweep?.metric, 'balancedAccuracy');
  assert.deepEqual(r.experiment?.sweep?.params['train.lr'], [0.001, 0.01]);
  const plain = parseExperiment(BASE, '/ws/x.medstudio.yaml');
  assert.equal(plain.experiment?.sweep, undefined);
  assert.equal(plain.experiment?.cluster, undefined);
});

test('sweep params are checked against the swept key: unknown keys, unsweepable keys, bad values, ranges in a grid', () => {
  const cases: [string, RegExp, number][] = [
    ['    train.lrr: [0.1]\n', /unknown key 'train.lrr'/, 7],
    ['    data.path: [a, b]\n', /'data.path' cannot be swept/, 7],
    ['    train.lr: [0.1, 20]\n', /'sweep.params.train.lr.1' must be at most 10, not 20/, 7],
    ['    model.backbone: [resnet, vgg]\n', /'vgg' is not a valid/, 7],
    ['    train.lr: 0.1\n', /needs a list of values/, 7],
    ['    train.lr: { min: 0.001, max: 0.1 }\n', /a grid needs a list of values/, 7],
  ];
  for (const [line, msg, lineNo] of cases) {
    const r = parse(`sweep:\n  params:\n${line}`);
    const p = r.problems.find((x) => msg.test(x.message));
    assert.ok(p, `${line.trim()}: expected ${msg}, got ${JSON.stringify(r.problems.map((x) => x.message))}`);
    assert.equal(p.start.line + 1, lineNo, line.trim());
  }
  const random = parse(`sweep:\n  strategy: random\n  params:\n    train.lr: { min: 0.1, max: 0.001, log: true }\n`);
  assert.match(random.problems[0]?.message ?? '', /min <= max/);
});

const sweep = (p: Partial<SweepBlock>): SweepBlock => ({ strategy: 'grid', trials: 8, samplerSeed: 0, concurrency: 1, metric: 'balancedAccuracy', params: {}, ...p });

test('grid: every combination in key order, once per seed', () => {
  const trials = expandSweep(sweep({ params: { 'train.lr': [0.001, 0.01], 'model.width': [8, 16] }, seeds: [1, 2] }));
  assert.equal(trials.length, 8);
  assert.deepEqual(
    trials.map((t) => `${t.id} ${describeTrial(t)}`),
    [
      't01 train.lr=0.001 model.width=8 seed=1',
      't02 train.lr=0.001 model.width=8 seed=2',
      't03 train.lr=0.001 model.width=16 seed=1',
      't04 train.lr=0.001 model.width=16 seed=2',
      't05 train.lr=0.01 model.width=8 seed=1',
      't06 train.lr=0.01 model.width=8 seed=2',
      't07 train.lr=0.01 model.width=16 seed=1',
      't08 train.lr=0.01 model.width=16 seed=2',
    ],
  );
  assert.throws(() => expandSweep(sweep({ params: { 'train.lr': Array(40).fill(0.1), 'model.width': Array(40).fill(8) } })), /1600 trials/);
});

test('random: seeded draws, in range, integers stay integers, the same every time', () => {
  const s = sweep({ strategy: 'random', trials: 5, samplerSeed: 7, params: { 'train.lr': { min: 1e-4, max: 1e-1, log: true }, 'model.width': { min: 4, max: 32 }, 'train.optimizer': ['adam', 'sgd'] } });
  const a = expandSweep(s);
  assert.deepEqual(a, expandSweep(s));
  assert.equal(a.length, 5);
  for (const t of a) {
    const lr = t.params['train.lr'] as number;
    const w = t.params['model.width'] as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1, String(lr));
    assert.ok(Number.isInteger(w) && w >= 4 && w <= 32, String(w));
    assert.ok(['adam', 'sgd'].includes(t.params['train.optimizer'] as string));
  }
  assert.notDeepEqual(a, expandSweep({ ...s, samplerSeed: 8 }));
  // log-uniform: the draws spread over decades, not bunched near max.
  const many = expandSweep({ ...s, trials: 200 }).map((t) => t.params['train.lr'] as number);
  assert.ok(many.filter((v) => v < 1e-2).length > 100, 'about two thirds of log-uniform draws in [1e-4, 1e-1] fall below 1e-2');
});

test('a trial file is the base file with its keys set, paths absolute, no sweep block, and it validates', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-unit-'));
  try {
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'labels.csv'), 'path,label\n');
    const base = path.join(dir, 'x.medstudio.yaml');
    const text = `# my experiment\n${BASE}cluster: { partition: gpu }\nsweep:\n  params:\n    train.lr: [0.001]\n`;
    fs.writeFileSync(base, text);
    const out = trialYaml(text, base, { id: 't01', params: { 'train.lr': 0.001, 'model.width': 16 }, seed: 3 }, path.join(dir, 'runs'), 'x [t01]');
    assert.match(out, /# my experiment/);
    assert.doesNotMatch(out, /sweep:|cluster:/);
    const file = path.join(dir, 'trial', 't01.medstudio.yaml');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, out);
    const e = await loadExperiment(file);
    assert.equal(e.train.lr, 0.001);
    assert.equal(e.train.seed, 3);
    assert.equal(e.model.width, 16);
    assert.equal(e.data.path, path.join(dir, 'data', 'labels.csv'));
    assert.equal(e.output.dir, path.join(dir, 'runs'));
    assert.equal(e.name, 'x [t01]');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const row = (id: string, values: TrialRow['final']['values'], state: TrialRow['state'] = 'finished'): TrialRow => ({ id, params: { 'train.lr': id }, state, epoch: 2, epochs: 2, final: { split: 'test', epoch: 2, values } });

test('the table sorts by any metric (lower-is-better for loss and error) and marks the best', () => {
  const rows = [row('t01', { balancedAccuracy: 0.5, loss: 1.0 }), row('t02', { balancedAccuracy: 0.7, loss: 1.2 }), row('t03', {}, 'failed'), row('t04', { balancedAccuracy: 0.6, loss: 0.9 })];
  assert.deepEqual(sortRows(rows, 'balancedAccuracy').map((r) => r.id), ['t02', 't04', 't01', 't03']);
  assert.deepEqual(sortRows(rows, 'loss').map((r) => r.id), ['t04', 't01', 't02', 't03']);
  assert.equal(bestRow(rows, 'balancedAccuracy')?.id, 't02');
  assert.equal(bestRow(rows, 'loss')?.id, 't04');
  const t: SweepTable = { id: 's', dir: '/s', name: 'n', experimentPath: '/e', metric: 'balancedAccuracy', keys: ['train.lr'], rows, bestId: 't02' };
  const text = formatSweepTable(t);
  assert.match(text[0]!, /trial\s+train\.lr\s+seed\s+state\s+balancedAccuracy ↓/);
  assert.match(text[1]!, /^\*\s+t02\s+t02\s+finished\s+0\.700/);
  assert.equal(text[text.length - 1], '* best by balancedAccuracy: t02');
});

test('settings diff: only keys that differ, unset shown as undefined, file/name/output.dir ignored', () => {
  const a = flattenSettings({ file: '/a.yaml', name: 'a', train: { lr: 0.1, epochs: 2 }, data: { classes: ['x', 'y'] }, output: { dir: '/a' } });
  const b = flattenSettings({ file: '/b.yaml', name: 'b', train: { lr: 0.01, epochs: 2 }, data: { classes: ['x', 'y'] }, output: { dir: '/b' }, sweep: { concurrency: 2 } });
  assert.deepEqual(a['data.classes'], '["x","y"]');
  assert.deepEqual(settingsDiff([a, b]), [
    { key: 'sweep.concurrency', values: [undefined, '2'] },
    { key: 'train.lr', values: ['0.1', '0.01'] },
  ]);
});

test('a swept key has the schema of the key it varies (hover, value completion); completion offers every sweepable key', () => {
  assert.equal(schemaAt(['sweep', 'params', 'train.optimizer'])?.kind, 'string');
  assert.deepEqual((schemaAt(['sweep', 'params', 'train.optimizer']) as { enum?: readonly string[] }).enum, ['adam', 'sgd']);
  assert.equal(schemaAt(['sweep', 'params', 'method'])?.kind, 'string');
  assert.equal(schemaAt(['sweep', 'params', 'nonsense']), undefined);
  const keys = sweepableKeys().map(([k]) => k);
  for (const k of ['method', 'train.lr', 'train.seed', 'model.width', 'care.alpha', 'glmae.maskRatio', 'disco.temperature', 'longtail.tta']) assert.ok(keys.includes(k), k);
  assert.ok(!keys.some((k) => k.startsWith('data.') || k.startsWith('output.') || k.startsWith('sweep.')));
});
