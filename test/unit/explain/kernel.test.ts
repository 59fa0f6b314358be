import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { interpretKernel, type KernelStep } from '../../../server/src/explain/kernelInterpret';
import * as tfl from '@tensorflow/tfjs-layers';
import { LATER_WEIGHTS, kernelLoss, kernelTargets, disposeTargets, weightsForConvolution } from '../../../server/src/explain/kernelLoss';
import { convolutionIndex } from '../../../server/src/explain/layers';
import { topKernels } from '../../../server/src/explain/topKernels';
import { createRng } from '../../../server/src/transforms';
import { tinyCnn, SIZE } from './fixtures';

before(async () => {
  await ensureBackend();
});

function textured(seed: number): tf.Tensor {
  const rng = createRng(seed);
  const v = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < v.length; i++) v[i] = 0.5 + 0.2 * Math.sin(i / 7) + 0.15 * rng.normal();
  return tf.tensor4d(v, [1, SIZE, SIZE, 1]);
}

test('the loss terms follow ALGORITHMS.md on hand-made activations', () => {
  // A: 2x1 spatial, 3 channels. Kernel 0 kept.
  const a0 = tf.tensor4d([3, 1, -2, 4, 0, 2], [1, 2, 1, 3]);
  const t = kernelTargets(a0, 0);
  assert.ok(Math.abs(t.selectedNorm - 5) < 1e-5); // ||(3, 4)||
  assert.equal(t.restL1, 5); // |1| + |-2| + |0| + |2|
  const a = tf.tensor4d([0, 1, 0, 4, 0, 0], [1, 2, 1, 3]);
  const x = tf.tensor4d([1, -3], [1, 2, 1, 1]);
  const terms = tf.tidy(() => {
    const l = kernelLoss(a, x, t, { alpha: 2, beta: 3, gamma: 5, delta: 0 }, [2]);
    return [l.loss, l.lSel, l.lRest].map((s) => s.dataSync()[0]!);
  });
  // L_sel = ||(0,4) - (3,4)|| / 5 = 0.6; L_rest = 1 / 5 = 0.2; mean|x - m| with m = 2: (1 + 5) / 2 = 3.
  assert.ok(Math.abs(terms[1]! - 0.6) < 1e-5);
  assert.ok(Math.abs(terms[2]! - 0.2) < 1e-5);
  assert.ok(Math.abs(terms[0]! - (2 * 0.6 + 3 * 0.2 + 5 * 3)) < 1e-4);
  disposeTargets(t);
  tf.dispose([a0, a, x]);
});

/** Six 3x3 convolutions in a row (a VGG-like stack), pools after the second and fourth. */
function sixConvs(): tfl.LayersModel {
  const input = tfl.input({ shape: [SIZE, SIZE, 1] });
  let h = input;
  for (let i = 1; i <= 6; i++) {
    h = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: `conv${i}` }).apply(h) as tfl.SymbolicTensor;
    if (i === 2 || i === 4) h = tfl.layers.maxPooling2d({ poolSize: 2, name: `pool${i / 2}` }).apply(h) as tfl.SymbolicTensor;
  }
  return tfl.model({ inputs: input, outputs: h });
}

test('loss weights follow the reference by convolution index: only the first three convolutions get the early weights', () => {
  const model = sixConvs();
  const index = (name: string) => convolutionIndex(model, name);
  assert.deepEqual(['conv1', 'conv2', 'pool1', 'conv3', 'conv4', 'pool2', 'conv5', 'conv6'].map(index), [1, 2, 2, 3, 4, 4, 5, 6]);
  assert.deepEqual(weightsForConvolution(1), { alpha: 1e5, beta: 1, gamma: 1e4, delta: 0 });
  assert.deepEqual(weightsForConvolution(2), { alpha: 1e4, beta: 1, gamma: 100, delta: 0 });
  assert.deepEqual(weightsForConvolution(3), { alpha: 1000, beta: 1, gamma: 100, delta: 0 });
  // conv4 of six sits in the middle third, where the old rule gave it (1000, 10, 100): the reference gives (1, 1, 1).
  for (const name of ['conv4', 'pool2', 'conv5', 'conv6']) assert.deepEqual(weightsForConvolution(index(name)), LATER_WEIGHTS, name);
  assert.deepEqual(LATER_WEIGHTS, { alpha: 1, beta: 1, gamma: 1, delta: 0 });
  model.dispose();
});

test('the L1 term pulls the image toward the data mean, not toward black', async () => {
  const model = tinyCnn(3);
  const x = textured(9);
  const mean = 0.7;
  const r = await interpretKernel(model, x, {
    layer: 'last',
    kernel: (await topKernels(model, x, 'last', 1))[0]!.index,
    // Only the L1 term acts.
    weights: { alpha: 0, beta: 0, gamma: 1, delta: 0 },
    mean: [mean],
    schedule: { maxSteps: 200, firstStep: 0.01 },
  });
  const [start, end] = [x, r.image].map((t) => tf.tidy(() => tf.mean(tf.abs(tf.sub(t, mean))).dataSync()[0]!));
  const endMean = tf.tidy(() => tf.mean(r.image).dataSync()[0]!);
  assert.ok(end! < 0.5 * start!, `mean |x' - m| went from ${start} to ${end}`);
  assert.ok(endMean > 0.6, `the image drifted toward ${endMean}, not toward the mean ${mean}`);
  r.image.dispose();
  x.dispose();
  model.dispose();
});

test('kernel interpretation lowers L_rest while keeping L_sel small (deep layer, default weights)', async () => {
  const model = tinyCnn(3);
  const x = textured(5);
  const before = tf.memory().numTensors;
  const kernel = (await topKernels(model, x, 'last', 1))[0]!.index;
  const steps: KernelStep[] = [];
  const r = await interpretKernel(model, x, { layer: 'last', kernel, weights: LATER_WEIGHTS, mean: [0.5], schedule: { maxSteps: 120 }, onStep: (s) => steps.push(s) });
  assert.equal(steps[0]!.lRest, 1); // measured at x' = x
  assert.ok(r.lRest < 0.75, `L_rest only fell to ${r.lRest}`);
  assert.ok(r.lSel < 0.1, `L_sel grew to ${r.lSel}`);
  assert.ok(r.steps > 10);
  assert.deepEqual(r.image.shape, [1, SIZE, SIZE, 1]);
  r.image.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

test('reduce-on-plateau halves the learning rate and a long plateau stops the run as converged', async () => {
  const model = tinyCnn(3);
  const x = textured(6);
  const steps: KernelStep[] = [];
  // Equal-and-opposite weights keep the loss flat, so every step is a plateau step.
  const r = await interpretKernel(model, x, {
    layer: 'last',
    kernel: (await topKernels(model, x, 'last', 1))[0]!.index,
    weights: { alpha: 0, beta: 0, gamma: 0, delta: 0 },
    mean: [0.5],
    schedule: { maxSteps: 500, plateauPatience: 4, stopPatience: 12 },
    onStep: (s) => steps.push(s),
  });
  assert.equal(r.stopped, 'converged');
  assert.equal(r.steps, 13); // the first step sets the best loss, twelve more without improvement
  assert.equal(steps[4]!.lr, 0.1);
  assert.equal(steps[5]!.lr, 0.05);
  assert.equal(steps[9]!.lr, 0.025);
  r.image.dispose();
  x.dispose();
  model.dispose();
});

test('cancellation stops kernel interpretation within one step and keeps the last image', async () => {
  const model = tinyCnn(3);
  const x = textured(7);
  let cancelled = false;
  let stepAtCancel = -1;
  const r = await interpretKernel(model, x, {
    layer: 'last',
    kernel: 0,
    weights: LATER_WEIGHTS,
    mean: [0.5],
    schedule: { maxSteps: 10_000, stopPatience: 10_000 },
    isCancelled: () => cancelled,
    onStep: (s) => {
      if (s.step === 5) {
        // Cancel from outside the loop, as an LSP $/cancelRequest does.
        setImmediate(() => {
          cancelled = true;
          stepAtCancel = s.step;
        });
      }
    },
  });
  assert.equal(r.stopped, 'cancelled');
  assert.ok(r.steps <= stepAtCancel + 1, `ran to step ${r.steps} after a cancel at step ${stepAtCancel}`);
  assert.deepEqual(r.image.shape, [1, SIZE, SIZE, 1]);
  r.image.dispose();
  x.dispose();
  model.dispose();
});

test('a time cap stops the run', async () => {
  const model = tinyCnn(3);
  const x = textured(8);
  const r = await interpretKernel(model, x, { layer: 'last', kernel: 0, weights: LATER_WEIGHTS, mean: [0.5], schedule: { maxSteps: 10_000, stopPatience: 10_000, maxSeconds: 0.3 } });
  assert.equal(r.stopped, 'timeLimit');
  r.image.dispose();
  x.dispose();
  model.dispose();
});
