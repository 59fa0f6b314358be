/**
 * No tensor leaks across training steps on wasm: neither engine tensors (tf.memory) nor the
 * backend's own buffers (what a kernel forgetting an intermediate would leak), with the native
 * kernels when the addon is built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../../../server/src/engine/backend';
import { batchNormalization } from '../../../server/src/networks/batchNorm';

function counts(): { tensors: number; buffers: number } {
  return { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
}

/** A small model touching every pack kernel family: strided conv, BN, pools, conv3d, dense. */
function model2d(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 2] });
  let t = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
  // MedStudio's fused batch norm (what its networks use), then tfjs-layers' own.
  t = batchNormalization({}).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.batchNormalization({}).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.conv2d({ filters: 6, kernelSize: 1, strides: 2 }).apply(t) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3 }).apply(tfl.layers.globalAveragePooling2d({}).apply(t)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function model3d(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv3d({ inputShape: [6, 6, 6, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling3d({ poolSize: 2 }),
      tfl.layers.conv3d({ filters: 4, kernelSize: 2, strides: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3 }),
    ],
  });
}

for (const [name, build, shape] of [
  ['2D CNN with BN, depthwise and strided convs', model2d, [4, 12, 12, 2]],
  ['3D CNN', model3d, [2, 6, 6, 6, 1]],
] as const) {
  test(`no tensors leak across training steps: ${name}`, async () => {
    await ensureBackend({ backend: 'wasm', threads: 1 });
    const model = build();
    const opt = tf.train.adam(1e-3);
    const x = tf.randomNormal([...shape], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0].slice(0, shape[0]), 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = (): number => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    step(); // creates the optimiser's slots
    const before = counts();
    const losses = [step(), step(), step()];
    assert.deepEqual(counts(), before);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[2]! < losses[0]!, `loss decreases: ${losses.join(', ')}`);
    model.dispose();
    opt.dispose();
    tf.dispose([x, y]);
  });
}
