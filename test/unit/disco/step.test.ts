import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { trainingBackend } from './backend';
import { buildContrastiveNet, embed, type ContrastiveNet, type NetSpec } from '../../../server/src/methods/moco/contrastiveNet';
import { NegativeQueue } from '../../../server/src/methods/moco/queue';
import { contrastiveStep, type ContrastiveState, type StepOptions } from '../../../server/src/methods/moco/step';
import { copyWeights, trainableVariables } from '../../../server/src/methods/moco/momentum';
import { freeze, teacherEmbed } from '../../../server/src/methods/disco/teacher';
import { createRng } from '../../../server/src/transforms/rng';

const SIZE = 16;
const student: NetSpec = { kind: 'mobilenet', inputSize: SIZE, channels: 3, width: 4, depth: 1, projectionDim: 8, hidden: 32 };
const teacherSpec: NetSpec = { kind: 'resnet', inputSize: SIZE, channels: 3, width: 4, depth: 1, projectionDim: 8 };
const opts: StepOptions = { temperature: 0.2, keyMomentum: 0.99, infoNCE: true, shuffleGroups: 2, weightDecay: 1e-4, lr: 0.01 };

function state(spec: NetSpec): ContrastiveState {
  const query = buildContrastiveNet(spec, '', 3);
  const key = buildContrastiveNet(spec, 'key_', 3);
  copyWeights(query.encoder, key.encoder);
  copyWeights(query.head, key.head);
  return {
    query,
    key,
    queue: new NegativeQueue(16, spec.projectionDim, createRng(2)),
    optimizer: tf.train.adam(0.01),
    queryVars: trainableVariables([query.encoder, query.head]),
    keyVars: trainableVariables([key.encoder, key.head]),
  };
}

function views(seed: number): [tf.Tensor4D, tf.Tensor4D] {
  return [tf.randomUniform([4, SIZE, SIZE, 3], 0, 1, 'float32', seed), tf.randomUniform([4, SIZE, SIZE, 3], 0, 1, 'float32', seed + 1)];
}

async function distilStep(s: ContrastiveState, teacher: ContrastiveNet, seed: number, o: StepOptions = opts) {
  const [q, k] = views(seed);
  const t = { q: teacherEmbed(teacher, q, true), k: teacherEmbed(teacher, k, true) };
  const out = await contrastiveStep(s, q, k, o, createRng(seed), t);
  tf.dispose([q, k, t.q, t.k]);
  return out;
}

const snapshot = (n: ContrastiveNet) => [...n.encoder.weights, ...n.head.weights].map((w) => ({ name: w.originalName, v: Array.from(w.read().dataSync()) }));

test('DisCo training leaves every teacher weight (BatchNorm statistics included) unchanged', async () => {
  await trainingBackend();
  const teacher = buildContrastiveNet(teacherSpec, 'teacher_', 7);
  freeze(teacher);
  const s = state(student);
  const before = snapshot(teacher);
  const studentBefore = snapshot(s.query);
  for (let i = 0; i < 2; i++) {
    const l = await distilStep(s, teacher, 10 * i);
    assert.ok(Number.isFinite(l.loss) && l.infoNCE !== undefined && l.distill !== undefined);
    assert.ok(Math.abs(l.loss - l.infoNCE - l.distill) < 1e-3, 'total = InfoNCE + MSE');
  }
  assert.deepEqual(snapshot(teacher), before);
  // The same steps did train the student (so the check above could have failed).
  assert.notDeepEqual(snapshot(s.query), studentBefore);
});

test('student, key and teacher embeddings have unit norm', async () => {
  await trainingBackend();
  const teacher = buildContrastiveNet(teacherSpec, 'teacher_', 7);
  const s = state(student);
  const [x] = views(1);
  for (const e of [embed(s.query, x, true), embed(s.key, x, false), teacherEmbed(teacher, x, true)]) {
    const norms = tf.norm(e, 2, 1).dataSync();
    assert.equal(norms.length, 4);
    for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5, `norm ${n}`);
    tf.dispose(e);
  }
  const qn = tf.norm(s.queue.keys, 2, 1).dataSync();
  for (const n of qn) assert.ok(Math.abs(n - 1) < 1e-5);
});

test('no tensors leak across MoCo, DisCo and MSE-only steps', async () => {
  await trainingBackend();
  const teacher = buildContrastiveNet(teacherSpec, 'teacher_', 7);
  freeze(teacher);
  const s = state(student);
  const moco = async () => {
    const [q, k] = views(5);
    await contrastiveStep(s, q, k, opts, createRng(1));
    tf.dispose([q, k]);
  };
  await moco(); // first steps create the optimiser's slots
  await distilStep(s, teacher, 3);
  const n = tf.memory().numTensors;
  await moco();
  await distilStep(s, teacher, 4);
  await moco();
  assert.equal(tf.memory().numTensors, n);
});

test('the MSE-only option trains without touching the key encoder or the queue', async () => {
  await trainingBackend();
  const teacher = buildContrastiveNet(teacherSpec, 'teacher_', 7);
  freeze(teacher);
  const s = state(student);
  const queueBefore = Array.from(s.queue.keys.dataSync());
  const keyBefore = snapshot(s.key);
  const l = await distilStep(s, teacher, 8, { ...opts, infoNCE: false });
  assert.equal(l.infoNCE, undefined);
  assert.ok(l.distill! > 0);
  assert.deepEqual(Array.from(s.queue.keys.dataSync()), queueBefore);
  assert.deepEqual(snapshot(s.key), keyBefore);
  await assert.rejects(async () => {
    const [q, k] = views(1);
    try {
      await contrastiveStep(s, q, k, { ...opts, infoNCE: false }, createRng(1));
    } finally {
      tf.dispose([q, k]);
    }
  }, /needs a teacher/);
});

test('distillation pairs the student\'s query and key views with the teacher\'s embeddings of the same views', async () => {
  await trainingBackend();
  const s = state(student);
  const [q, k] = views(21);
  // A "teacher" that is the student itself: paired view by view the error is zero; any cross
  // pairing (query against the teacher's key view) leaves an error.
  const t = { q: embed(s.query, q, true), k: embed(s.query, k, true) };
  const crossed = tf.tidy(() => tf.sum(tf.squaredDifference(t.q, t.k)).dataSync()[0]!);
  assert.ok(crossed > 1e-3, 'the two views must embed differently for the check to mean anything');
  const out = await contrastiveStep(s, q, k, { ...opts, infoNCE: false }, createRng(3), t);
  assert.ok(out.distill !== undefined && out.distill < 1e-6, `distillation error ${out.distill} with the teacher equal to the student`);
  tf.dispose([q, k, t.q, t.k]);
});
