import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { trainingBackend } from './backend';
import { parseExperiment } from '../../../server/src/experiment/parse';
import type { Experiment } from '../../../server/src/experiment/types';
import type { EvalMetrics, StepProgress } from '../../../server/src/protocol';
import type { RunContext } from '../../../server/src/training/types';
import { createMocoRunner } from '../../../server/src/methods/moco/runner';
import { createDiscoRunner } from '../../../server/src/methods/disco/runner';
import type { ContrastiveData, ImageSplit } from '../../../server/src/methods/moco/data';
import { loadModel, readModelMetadata } from '../../../server/src/runs';
import { createRng } from '../../../server/src/transforms/rng';

const S = 12;

/** Two classes a probe can tell apart: a reddish disc or a bluish square on grey noise. */
function split(n: number, seed: number): ImageSplit {
  const rng = createRng(seed);
  const out: ImageSplit = { images: [], labels: [] };
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const img = new Float32Array(S * S * 3);
    const cx = rng.uniform(4, 8);
    const cy = rng.uniform(4, 8);
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const inside = label === 0 ? (x - cx) ** 2 + (y - cy) ** 2 < 9 : Math.abs(x - cx) < 3 && Math.abs(y - cy) < 3;
        const base = 0.4 + 0.1 * rng.next();
        const o = (y * S + x) * 3;
        img[o] = inside && label === 0 ? 0.9 : base;
        img[o + 1] = base;
        img[o + 2] = inside && label === 1 ? 0.9 : base;
      }
    out.images.push(img);
    out.labels.push(label);
  }
  return out;
}
const data: ContrastiveData = { shape: { height: S, width: S, channels: 3 }, classes: ['disc', 'square'], train: split(24, 1), val: split(8, 2), test: split(8, 3) };
const load = async () => data;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-disco-'));

function experiment(yaml: string): Experiment {
  const r = parseExperiment(yaml, path.join(tmp, 'x.medstudio.yaml'));
  assert.deepEqual(r.problems, []);
  return r.experiment!;
}

const base = `data: { format: csv, path: labels.csv }
train: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3 }
disco: { queueSize: 16 }
`;
const mocoYaml = `method: moco\nmodel: { backbone: resnet, width: 4, depth: 1, inputSize: 16, projectionDim: 8 }\n${base}`;

function context(e: Experiment, name: string, opts: { resuming?: boolean; signal?: AbortSignal; onProgress?: (p: StepProgress) => void } = {}) {
  const runDir = path.join(tmp, name);
  fs.mkdirSync(runDir, { recursive: true });
  const metrics: EvalMetrics[] = [];
  const ctx: RunContext = {
    experiment: e,
    runDir,
    runId: name,
    compute: { backend: 'cpu', requested: 'cpu', device: 'test', versions: {}, skipped: [], details: {}, pid: process.pid },
    signal: opts.signal ?? new AbortController().signal,
    resuming: opts.resuming ?? false,
    metrics: (m) => metrics.push(m),
    progress: (p) => opts.onProgress?.(p),
    log: () => undefined,
  };
  return { ctx, metrics, runDir };
}

test('a moco run saves a reloadable encoder and head and reports per-class probe metrics', async () => {
  await trainingBackend();
  const { ctx, metrics, runDir } = context(experiment(mocoYaml), 'moco');
  const before = tf.memory().numTensors;
  const r = await createMocoRunner(load).train(ctx);
  assert.equal(tf.memory().numTensors, before, 'the run disposes everything it made');
  assert.deepEqual(r.artifacts, { model: 'model', projection: 'projection', probe: 'probe.json' });
  assert.deepEqual(metrics.filter((m) => m.split === 'val').map((m) => m.epoch), [1, 2]);
  const t = r.test!;
  assert.equal(t.split, 'test');
  assert.deepEqual(Object.keys(t.recall!), ['disc', 'square']);
  assert.ok(t.extra!.linearProbeAccuracy! >= 0 && t.extra!.knnAccuracy! >= 0 && t.extra!.params! > 0 && t.extra!.msPerImage! > 0);
  const meta = await readModelMetadata(path.join(runDir, 'model'));
  assert.equal(meta.kind, 'self-supervised-encoder');
  assert.equal(meta.featureLayer, 'pool');
  const enc = await loadModel(path.join(runDir, 'model'));
  assert.ok(enc.getLayer('stem_conv'), 'stable layer names for init: fine-tuning');
  assert.deepEqual(enc.outputs[0]!.shape, [null, meta.featureDim]);
  enc.dispose();
});

test('a disco run distils the moco teacher into a smaller student without touching the teacher', async () => {
  await trainingBackend();
  const teacherDir = path.join(tmp, 'moco');
  const weights = () => fs.readFileSync(path.join(teacherDir, 'model', 'weights.bin'));
  const teacherBefore = weights();
  // `teacher:` may name the runs folder: its newest finished moco run is the teacher.
  fs.writeFileSync(path.join(teacherDir, 'run.json'), JSON.stringify({ method: 'moco', state: 'finished' }));
  const e = experiment(`method: disco\nteacher: ${tmp}\nmodel: { width: 4, depth: 1, inputSize: 16, projectionDim: 8, hidden: 64 }\n${base}`);
  assert.equal(e.disco.student, 'mobilenet');
  const { ctx, metrics } = context(e, 'disco');
  const r = await createDiscoRunner(load).train(ctx);
  assert.deepEqual(weights(), teacherBefore);
  const val = metrics.filter((m) => m.split === 'val');
  assert.ok(val.every((m) => m.extra!.distill! > 0 && m.extra!.infoNCE! > 0));
  assert.ok(r.test!.extra!.paramShareOfTeacher! < 1, 'the student is lighter than the teacher');
  const probe = JSON.parse(fs.readFileSync(path.join(ctx.runDir, 'probe.json'), 'utf8')) as { cost: { name: string }[]; backend: string };
  assert.deepEqual(probe.cost.map((c) => c.name), ['encoder', 'teacher']);
});

test('disco explains a missing teacher and a projection size that does not match it', async () => {
  await trainingBackend();
  // The parser already rejects a disco file without `teacher:`; the runner checks again for callers that build experiments.
  const noTeacher = context({ ...experiment(`method: disco\nteacher: ${tmp}\nmodel: { width: 4, depth: 1, inputSize: 16, projectionDim: 8 }\n${base}`), teacher: undefined }, 'd2');
  await assert.rejects(createDiscoRunner(load).train(noTeacher.ctx), /needs 'teacher: <run dir>'/);
  const wrong = context(experiment(`method: disco\nteacher: ${path.join(tmp, 'moco')}\nmodel: { width: 4, depth: 1, inputSize: 16, projectionDim: 16 }\n${base}`), 'd3');
  await assert.rejects(createDiscoRunner(load).train(wrong.ctx), /projectionDim 16 differs from the teacher's 8/);
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  const notRun = context(experiment(`method: disco\nteacher: ${empty}\nmodel: { width: 4, depth: 1, inputSize: 16, projectionDim: 8 }\n${base}`), 'd4');
  await assert.rejects(createDiscoRunner(load).train(notRun.ctx), /neither a finished moco run \(no model\/model.json\) nor a runs folder holding one/);
});

test('a moco run stopped mid-epoch resumes to exactly the weights of an uninterrupted run', async () => {
  await trainingBackend();
  const e = experiment(mocoYaml);
  const ac = new AbortController();
  const first = context(e, 'resume', { signal: ac.signal, onProgress: (p) => p.epoch === 1 && p.step === 2 && ac.abort() });
  const stopped = await createMocoRunner(load).train(first.ctx);
  assert.deepEqual(stopped.artifacts, {});
  assert.ok(!fs.existsSync(path.join(first.runDir, 'model')));
  const again = context(e, 'resume', { resuming: true });
  await createMocoRunner(load).train(again.ctx);
  const straight = fs.readFileSync(path.join(tmp, 'moco', 'model', 'weights.bin'));
  assert.deepEqual(fs.readFileSync(path.join(first.runDir, 'model', 'weights.bin')), straight);
});

test('a CARE-style classifier initialises from the moco teacher and from the distilled student', async () => {
  await trainingBackend();
  const { buildResNetClassifier } = await import('../../../server/src/networks/resnet');
  const { buildMobileNetClassifier } = await import('../../../server/src/networks/mobilenet');
  const { initFromEncoderRun, encoderRunMetadata } = await import('../../../server/src/methods/moco/initFrom');
  for (const [run, build] of [
    ['moco', (m: { inputSize: number; channels: number }) => buildResNetClassifier({ ...m, width: 4, depth: 1, numClasses: 2 }).model],
    ['disco', (m: { inputSize: number; channels: number }) => buildMobileNetClassifier({ ...m, width: 4, depth: 1, numClasses: 2 })],
  ] as const) {
    const dir = path.join(tmp, run);
    const meta = await encoderRunMetadata(dir);
    const clf = build(meta);
    const copied = await initFromEncoderRun(clf, dir);
    const enc = await loadModel(path.join(dir, 'model'));
    assert.equal(copied.length, enc.weights.length, `${run}: every encoder weight lands in the classifier`);
    const stem = (m: typeof enc) => Array.from(m.getLayer('stem_conv').getWeights()[0]!.dataSync());
    assert.deepEqual(stem(clf), stem(enc));
    assert.ok(clf.getLayer('features') && clf.getLayer('logits'));
    enc.dispose();
    clf.dispose();
  }
  const wrong = buildMobileNetClassifier({ inputSize: 16, channels: 3, width: 8, depth: 1, numClasses: 2 });
  await assert.rejects(initFromEncoderRun(wrong, path.join(tmp, 'disco')), /stem_conv\/kernel is \[3,3,3,4\] in the encoder but \[3,3,3,8\]/);
  wrong.dispose();
});

test('evaluating a finished moco run probes its saved encoder on the test split', async () => {
  await trainingBackend();
  const { ctx, metrics } = context(experiment(mocoYaml), 'eval');
  const { resuming: _r, ...evalCtx } = ctx;
  const m = await createMocoRunner(load).evaluate!(path.join(tmp, 'moco'), ctx.experiment, evalCtx);
  assert.equal(m.split, 'test');
  assert.deepEqual(metrics, [m]);
  assert.ok(m.extra!.linearProbeAccuracy! >= 0.5, `a probe on two clearly different shapes (${m.extra!.linearProbeAccuracy})`);
});
