/**
 * The shared trainer honours train.* the same way for every method: the optimiser (Adam, SGD with
 * momentum, Nesterov), weight decay on the decayed variables only, the learning-rate schedule per
 * phase (a fresh optimiser and schedule each), the finite-loss check; and each method that trains
 * on it (CARE, MoCo, GL-MAE, segment, 3D classification) reports the settings it trained with and
 * the rate of each epoch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import type { EvalMetrics } from '../../../server/src/protocol';
import { runExperiment } from '../../../server/src/runs/runner';
import { makeOptimizer, SCHEDULES, setLearningRate } from '../../../server/src/training/optim';
import { train, type OpenPhase } from '../../../server/src/training/trainer';
import { enableThreadGovernor } from '../../../server/src/engine/threadGovernor';
import type { RunContext } from '../../../server/src/training/types';
import { makeLesionFixture } from '../care/fixture';
import { syntheticVolume } from '../glmae/synthetic';

let dir = '';
before(async () => {
  await ensureBackend({ backend: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

type Settings = { optimizer: 'adam' | 'sgd'; momentum: number; nesterov?: boolean; weightDecay: number; schedule?: 'cosine' | 'poly' | 'constant'; lr: number; batchSize: number; checkpointEvery: number };

/** One variable per kind: a matrix (decayed) and a bias (not); loss = sum((w - 3)^2) + sum((b - 3)^2). */
async function fakeRun(settings: Settings, epochs: number[], lossOverride?: number) {
  const w = tf.variable(tf.ones([1, 1]));
  const b = tf.variable(tf.ones([1]));
  const seen: { lr: number; optimizer: string; nesterov?: boolean }[] = [];
  const metrics: EvalMetrics[] = [];
  const runDir = fs.mkdtempSync(path.join(dir, 'run-'));
  const ctx = { runDir, runId: 'x', signal: new AbortController().signal, resuming: false, metrics: (m: EvalMetrics) => metrics.push(m), progress: () => undefined, log: () => undefined } as unknown as RunContext;
  const phase = (): OpenPhase<number> => ({
    parts: { models: {} },
    decayed: [w],
    batches: () => ({ steps: 1, iterate: [0], dispose: () => undefined }),
    step: (_batch, s) => {
      const o = s.optimizer as unknown as { getClassName(): string; useNesterov?: boolean };
      seen.push({ lr: s.lr, optimizer: o.getClassName(), ...(o.useNesterov !== undefined ? { nesterov: o.useNesterov } : {}) });
      const { value, grads } = tf.variableGrads(() => tf.add(tf.sum(tf.square(tf.sub(w, 3))), tf.sum(tf.square(tf.sub(b, 3)))) as tf.Scalar, [w, b]);
      const loss = lossOverride ?? value.dataSync()[0]!;
      value.dispose();
      return { loss, grads };
    },
    endEpoch: async (sum) => ({ split: 'val', epoch: sum.reportedEpoch, extra: { lr: sum.lr } }),
  });
  let offset = 0;
  const specs = epochs.map((n, i) => {
    const s = { name: `p${i}`, epochs: n, epochOffset: offset, open: async () => phase() };
    offset += n;
    return s;
  });
  try {
    await train(ctx, specs, { settings });
    return { w: w.dataSync()[0]!, b: b.dataSync()[0]!, seen, metrics };
  } finally {
    tf.dispose([w, b]);
  }
}

const base: Settings = { optimizer: 'sgd', momentum: 0, weightDecay: 0, schedule: 'constant', lr: 0.1, batchSize: 1, checkpointEvery: 1 };

test('weight decay adds weightDecay * w to the gradients of decayed variables only', async () => {
  // grad(w) = 2 (1 - 3) = -4; with decay 0.5: -4 + 0.5 * 1 = -3.5; the bias keeps -4.
  const r = await fakeRun({ ...base, weightDecay: 0.5 }, [1]);
  assert.ok(Math.abs(r.w - 1.35) < 1e-6, `w ${r.w}`);
  assert.ok(Math.abs(r.b - 1.4) < 1e-6, `b ${r.b}`);
  const plain = await fakeRun(base, [1]);
  assert.ok(Math.abs(plain.w - 1.4) < 1e-6);
});

test('the optimiser is the one train.optimizer names: Adam, or SGD with momentum and optionally Nesterov', async () => {
  assert.equal((await fakeRun({ ...base, optimizer: 'adam' }, [1])).seen[0]!.optimizer, 'Adam');
  const sgd = await fakeRun({ ...base, momentum: 0.9, nesterov: true }, [1]);
  assert.deepEqual(sgd.seen[0], { lr: 0.1, optimizer: 'Momentum', nesterov: true });
});

test('a phase trained with SGD frees every tensor its optimiser made (tfjs momentum leaves its -lr scalar)', async () => {
  const opt = makeOptimizer({ optimizer: 'sgd', momentum: 0.9, weightDecay: 0, nesterov: true }, 0.1);
  const before = tf.memory().numTensors;
  setLearningRate(opt, 0.05);
  const v = tf.variable(tf.ones([3]));
  const g = tf.ones([3]);
  opt.applyGradients({ [v.name]: g });
  opt.dispose();
  tf.dispose([v, g]);
  assert.equal(tf.memory().numTensors, before - 1, 'the optimiser\'s own -lr scalar (made before) is freed too');
});

test('each phase runs its own schedule from the base rate (cosine, poly, constant), and the rates are recorded per epoch', async () => {
  for (const schedule of ['cosine', 'poly', 'constant'] as const) {
    const r = await fakeRun({ ...base, schedule }, [3, 2]);
    const want = [0, 1, 2].map((e) => SCHEDULES[schedule](0.1, e, 3)).concat([0, 1].map((e) => SCHEDULES[schedule](0.1, e, 2)));
    assert.deepEqual(r.seen.map((s) => s.lr), want, schedule);
    assert.deepEqual(r.metrics.map((m) => m.extra?.lr), want);
    assert.deepEqual(r.metrics.map((m) => m.epoch), [1, 2, 3, 4, 5]);
  }
  assert.ok(Math.abs(SCHEDULES.cosine(0.1, 1, 2) - 0.05) < 1e-12);
  assert.ok(Math.abs(SCHEDULES.poly(0.1, 1, 2) - 0.1 * 0.5 ** 0.9) < 1e-12);
});

test('a step whose loss is not finite stops the run, naming the phase, epoch and step', async () => {
  await assert.rejects(fakeRun(base, [2], NaN), /training diverged in phase p0 at epoch 1, step 1 \(loss NaN\)/);
});

test('an in-process training (checkpoints: false) needs no run folder, sends metrics to its callback and writes no file, even when stopped', async () => {
  const cwd = process.cwd();
  const empty = fs.mkdtempSync(path.join(dir, 'inproc-'));
  process.chdir(empty);
  const w = tf.variable(tf.ones([1, 1]));
  try {
    const ac = new AbortController();
    const metrics: EvalMetrics[] = [];
    const logs: string[] = [];
    let steps = 0;
    const phase: OpenPhase<number> = {
      parts: { models: {} },
      decayed: [w],
      batches: () => ({ steps: 3, iterate: [0, 1, 2], dispose: () => undefined }),
      step: () => {
        // Stop during the second epoch's first step: the trainer stops after it.
        if (++steps === 4) ac.abort();
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(w, 3))) as tf.Scalar, [w]);
        const loss = value.dataSync()[0]!;
        value.dispose();
        return { loss, grads };
      },
      endEpoch: async (sum) => ({ split: 'val', epoch: sum.reportedEpoch, extra: { lr: sum.lr } }),
    };
    const ctx = { signal: ac.signal, metrics: (m: EvalMetrics) => metrics.push(m), progress: () => undefined, log: (m: string) => logs.push(m) };
    const done = await train(ctx, [{ name: 'net', epochs: 3, epochOffset: 0, open: async () => phase }], { checkpoints: false, settings: base });
    assert.equal(done, undefined);
    assert.equal(steps, 4);
    assert.deepEqual(metrics.map((m) => m.epoch), [1]);
    assert.ok(logs.includes('stopped at epoch 2, step 1/3; no checkpoint (in process)'), logs.join('\n'));
    assert.deepEqual(fs.readdirSync(empty), []);
  } finally {
    process.chdir(cwd);
    w.dispose();
  }
});

/** Runs an experiment, returning the trainer's settings line and the learning rate of each recorded epoch. */
async function settingsOf(file: string): Promise<{ line: string; lrs: number[] }> {
  const logs: string[] = [];
  const out = await runExperiment(file, { outDir: path.join(dir, 'runs'), onEvent: (e) => e.kind === 'log' && logs.push(e.message) });
  assert.equal(out.info.state, 'finished', out.info.error);
  const metrics = fs.readFileSync(path.join(out.info.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EvalMetrics);
  return { line: logs.find((l) => l.startsWith('training: ')) ?? logs.join('\n'), lrs: metrics.filter((m) => m.split === 'val').map((m) => m.extra!.lr!) };
}

const TRAIN = 'optimizer: sgd, momentum: 0.8, nesterov: true, weightDecay: 0.01, schedule: poly';
const LINE = /^training: SGD, momentum 0\.8 \(Nesterov\), weight decay 0\.01, poly learning-rate schedule/;
const poly = (lr: number, epochs: number) => Array.from({ length: epochs }, (_, e) => SCHEDULES.poly(lr, e, epochs));

test('CARE honours optimizer, nesterov, weightDecay and schedule, with a fresh schedule in stage 2', async () => {
  const fx = makeLesionFixture();
  const f = path.join(fx.root, 'care.medstudio.yaml');
  fs.writeFileSync(f, `method: care\ndata: { format: csv, path: data/labels.csv, rare: [rare], boxes: { source: manual, path: data/boxes.coco.json } }\nmodel: { width: 4, depth: 1, inputSize: 16 }\ntrain: { epochs: 4, batchSize: 8, lr: 0.01, seed: 3, ${TRAIN} }\ncare: { stage1Epochs: 2 }\n`);
  const r = await settingsOf(f);
  assert.match(r.line, LINE);
  assert.match(r.line, /phases stage1 \(2 epochs\), stage2 \(2 epochs\)/);
  assert.deepEqual(r.lrs, [...poly(0.01, 2), ...poly(0.01, 2)]);
});

test('MoCo honours optimizer, nesterov, weightDecay and schedule', async () => {
  const fx = makeLesionFixture();
  const f = path.join(fx.root, 'moco.medstudio.yaml');
  fs.writeFileSync(f, `method: moco\ndata: { format: csv, path: data/labels.csv }\nmodel: { backbone: resnet, width: 4, depth: 1, inputSize: 16, projectionDim: 8 }\ntrain: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3, ${TRAIN} }\ndisco: { queueSize: 16 }\n`);
  const r = await settingsOf(f);
  assert.match(r.line, LINE);
  assert.deepEqual(r.lrs, poly(0.01, 2));
});

test('GL-MAE, segment and 3D classification honour optimizer, nesterov, weightDecay and schedule', async () => {
  for (const sub of ['volumes', 'labels']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const geometry = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  const rows = ['path,label,split'];
  for (let i = 1; i <= 6; i++) {
    const v = syntheticVolume(i, 16);
    fs.writeFileSync(path.join(dir, 'volumes', `v${i}.nii`), encodeNifti({ data: Int16Array.from(v.data, (x) => Math.round(x * 1000)), dims: [16, 16, 16], ...geometry }));
    fs.writeFileSync(path.join(dir, 'labels', `v${i}.nii`), encodeNifti({ data: Uint8Array.from(v.data, (x) => (x > 0.5 ? 1 : 0)), dims: [16, 16, 16], ...geometry }));
    rows.push(`volumes/v${i}.nii,${i % 2 ? 'odd' : 'even'},${i <= 2 ? 'train' : i <= 4 ? 'val' : 'test'}`);
  }
  fs.writeFileSync(path.join(dir, 'manifest3d.csv'), rows.join('\n') + '\n');
  const vit = 'backbone: vit3d, inputSize: 16, patchSize: 8, embedDim: 16, depth: 1, heads: 2';
  const mae = path.join(dir, 'mae.medstudio.yaml');
  fs.writeFileSync(mae, `method: glmae\ndata: { format: volumes, path: volumes, valFraction: 0.34, testFraction: 0.34 }\nmodel: { ${vit}, decoderWidth: 16, decoderDepth: 1, projectionDim: 8 }\nglmae: { localViews: 1, localSize: 8, volumeSize: 16 }\ntrain: { epochs: 2, batchSize: 2, lr: 0.002, seed: 3, ${TRAIN} }\n`);
  const g = await settingsOf(mae);
  assert.match(g.line, LINE);
  assert.deepEqual(g.lrs, poly(0.002, 2));
  const seg = path.join(dir, 'seg.medstudio.yaml');
  fs.writeFileSync(seg, `method: segment\ndata: { format: volumes, path: volumes, labels: labels, classes: [background, blob], valFraction: 0.34, testFraction: 0.34 }\nmodel: { ${vit}, decoderWidth: 8 }\ntrain: { epochs: 2, batchSize: 2, lr: 0.002, seed: 1, ${TRAIN} }\n`);
  const s = await settingsOf(seg);
  assert.match(s.line, LINE);
  assert.deepEqual(s.lrs, poly(0.002, 2));
  const cls = path.join(dir, 'cls.medstudio.yaml');
  fs.writeFileSync(cls, `method: supervised\ndata: { format: csv, path: manifest3d.csv, classes: [even, odd] }\nmodel: { ${vit} }\ntrain: { epochs: 2, batchSize: 2, lr: 0.001, seed: 1, ${TRAIN} }\n`);
  const c = await settingsOf(cls);
  assert.match(c.line, LINE);
  assert.deepEqual(c.lrs, poly(0.001, 2));
});

test('the native thread count stays as set unless the experiment opts into train.adaptiveThreads (another count sums in another order: no bit-exact resume)', async () => {
  const set: number[] = [];
  enableThreadGovernor(2, (n) => set.push(n));
  try {
    const runOnce = async (adaptiveThreads: boolean) => {
      const w = tf.variable(tf.ones([1, 1]));
      const runDir = fs.mkdtempSync(path.join(dir, 'threads-'));
      const ctx = { runDir, runId: 'x', experiment: { train: { adaptiveThreads } }, signal: new AbortController().signal, resuming: false, metrics: () => undefined, progress: () => undefined, log: () => undefined } as unknown as RunContext;
      const phase: OpenPhase<number> = {
        parts: { models: {} },
        decayed: [w],
        batches: () => ({ steps: 3, iterate: [0, 1, 2], dispose: () => undefined }),
        step: () => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar, [w]);
          const loss = value.dataSync()[0]!;
          value.dispose();
          return { loss, grads };
        },
        endEpoch: async () => undefined,
      };
      await train(ctx, [{ name: 'main', epochs: 1, epochOffset: 0, open: async () => phase }], {
        settings: { optimizer: 'adam', momentum: 0.9, weightDecay: 0, schedule: 'constant', lr: 0.1, batchSize: 1, checkpointEvery: 1 },
      });
      w.dispose();
    };
    await runOnce(false);
    assert.deepEqual(set, [], 'no governor: the thread count was never touched');
    await runOnce(true);
    assert.ok(set.length > 0, 'with adaptiveThreads the governor takes the thread count');
  } finally {
    enableThreadGovernor(1, () => undefined);
  }
});
