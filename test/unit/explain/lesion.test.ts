import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { Explainer } from '../../../server/src/explain/explainer';
import { CLASSES, lesionRun, saveRun, SIZE, tempDir, tinyCnn, type LesionImage } from './fixtures';

let dir = '';
let runDir = '';
let testImages: LesionImage[] = [];
const explainer = new Explainer();

before(async () => {
  await ensureBackend();
  dir = tempDir('lesion');
  ({ runDir, test: testImages } = await lesionRun(dir));
});

after(() => {
  explainer.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Share of the total heat that falls inside the box. */
function heatShare(heat: Float32Array, box: [number, number, number, number]): number {
  let inside = 0;
  let total = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const h = heat[y * SIZE + x]!;
      total += h;
      if (x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3]) inside += h;
    }
  }
  return total > 0 ? inside / total : 0;
}

for (const method of ['gradcam', 'gradcam++'] as const) {
  test(`${method} of a trained model covers the lesion box more than the background`, async () => {
    const lesions = testImages.filter((im) => im.box);
    let shares = 0;
    let areas = 0;
    let correct = 0;
    for (const im of lesions) {
      const r = await explainer.gradCam({ runDir, imagePath: im.path, classIndex: 1, method });
      assert.deepEqual(r.dims, [SIZE, SIZE]);
      assert.equal(r.layer, 'last');
      assert.equal(r.className, 'lesion');
      if (r.probabilities[1]! > 0.5) correct++;
      shares += heatShare(r.heatmap, im.box!);
      areas += (im.box![2] * im.box![3]) / (SIZE * SIZE);
    }
    const share = shares / lesions.length;
    const area = areas / lesions.length;
    // The model must have learnt the task for the test to mean anything.
    assert.ok(correct >= lesions.length - 1, `the tiny model recognised only ${correct}/${lesions.length} lesions`);
    // Boxes cover ~7% of the image; their heat share must be well above that.
    assert.ok(share > 2.5 * area, `heat share inside the boxes ${share.toFixed(3)} vs their area share ${area.toFixed(3)}`);
  });
}

test('the default class is the predicted one, and the layer list names the feature maps', async () => {
  const info = await explainer.layers(runDir);
  assert.equal(info.defaultLayer, 'last');
  assert.deepEqual(info.classes, ['clear', 'lesion']);
  const last = info.layers.find((l) => l.name === 'last')!;
  assert.deepEqual(last.outputShape, [8, 8, 16]);
  assert.equal(last.spatial, true);
  assert.equal(info.layers.find((l) => l.name === 'logits')!.spatial, false);
  const clear = testImages.find((im) => !im.box)!;
  const r = await explainer.gradCam({ runDir, imagePath: clear.path });
  assert.equal(r.classIndex, r.probabilities.indexOf(Math.max(...r.probabilities)));
});

test('twenty explanation requests in a row leave no tensors behind', async () => {
  const im = testImages[1]!;
  // Warm up: the first request loads the model into the cache.
  await explainer.gradCam({ runDir, imagePath: im.path });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    const kind = i % 4;
    if (kind === 0) await explainer.gradCam({ runDir, imagePath: im.path });
    else if (kind === 1) await explainer.gradCam({ runDir, imagePath: im.path, method: 'gradcam++', layer: 'conv2' });
    else if (kind === 2) await explainer.topKernels({ runDir, imagePath: im.path, layer: 'last' });
    else await explainer.interpretKernel({ runDir, imagePath: im.path, layer: 'last', kernel: (await explainer.topKernels({ runDir, imagePath: im.path })).kernels[0]!.index, maxSteps: 3 });
  }
  assert.equal(tf.memory().numTensors, before);
  // Evicting the cache frees the model's weights too.
  explainer.dispose();
  assert.ok(tf.memory().numTensors < before, `${tf.memory().numTensors} tensors after disposing the cached model (had ${before})`);
});

test('bad input gets a specific error naming the problem', async () => {
  const im = testImages[0]!;
  await assert.rejects(explainer.gradCam({ runDir: dir, imagePath: im.path }), /has no trained model/);
  await assert.rejects(explainer.gradCam({ runDir, imagePath: im.path, layer: 'gap' }), /not a feature map/);
  await assert.rejects(explainer.gradCam({ runDir, imagePath: im.path, layer: 'nope' }), /no layer named 'nope'; feature-map layers are: .*last/);
  await assert.rejects(explainer.gradCam({ runDir, imagePath: `${dir}/missing.png` }), /missing\.png/);
  await assert.rejects(explainer.interpretKernel({ runDir, imagePath: im.path, kernel: 99 }), /kernel 99 is out of range: layer 'last' has 16 kernels/);
});

test('kernel interpretation anchors its L1 term on the mean the run saved, and says when it had to use the image\'s own', async () => {
  const im = testImages[0]!;
  const kernel = (await explainer.topKernels({ runDir, imagePath: im.path })).kernels[0]!.index;
  const own = await explainer.interpretKernel({ runDir, imagePath: im.path, layer: 'last', kernel, maxSteps: 2 });
  assert.equal(own.anchor.source, 'this image');
  assert.equal(own.convolution, 3);
  assert.deepEqual(own.weights, { alpha: 1000, beta: 1, gamma: 100, delta: 0 });
  const savedDir = `${dir}/saved-mean`;
  await saveRun(savedDir, tinyCnn(3), CLASSES, { inputMean: [0.42] });
  const saved = await explainer.interpretKernel({ runDir: savedDir, imagePath: im.path, layer: 'last', kernel, maxSteps: 2 });
  assert.deepEqual(saved.anchor, { mean: [0.42], source: 'training data' });
});
