/**
 * Training smoke cases for test/unit/engine/trainSmoke.test.ts: every network MedStudio trains
 * (ResNet, MobileNet, a 3D CNN, the 3D ViT, UNETR) at small widths, for a couple of Adam steps
 * on seeded random data. Run as a child process (`node --import tsx smokeNets.ts <cases json>`)
 * so the native addon can be on or off (MEDSTUDIO_NATIVE is read once per process); prints one
 * JSON line per case with its losses.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../../../../server/src/engine/backend';
import { buildMobileNetClassifier } from '../../../../server/src/networks/mobilenet';
import { buildResNetClassifier } from '../../../../server/src/networks/resnet';
import { Unetr3d } from '../../../../server/src/networks/unetr3d';
import { meanToken, Vit3dEncoder } from '../../../../server/src/networks/vit3d';
import { ParamStore } from '../../../../server/src/networks/vit3dParams';

export type Net = 'resnet' | 'mobilenet' | 'cnn3d' | 'vit3d' | 'unetr';
export interface SmokeCase {
  net: Net;
  inputSize: number;
  batch: number;
}
export interface SmokeResult extends SmokeCase {
  losses: number[];
  ms: number;
  error?: string;
}

const CLASSES = 3;
const STEPS = 2;

interface Trainable {
  loss: () => tf.Scalar;
  vars: tf.Variable[];
  dispose: () => void;
}

function batchOf(shape: number[], labels: number[] | undefined, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed);
    const idx = tf.randomUniform(labels ?? [shape[0]!], 0, CLASSES, 'int32', seed + 1);
    return { x, y: tf.oneHot(idx, CLASSES) };
  });
}

function layersNet(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, output: number): Trainable {
  return {
    loss: () => {
      const outs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
      const logits = Array.isArray(outs) ? outs[output]! : outs;
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    },
    vars: model.trainableWeights.map((w) => w.read() as tf.Variable),
    dispose: () => model.dispose(),
  };
}

function build(c: SmokeCase): { net: Trainable; data: { x: tf.Tensor; y: tf.Tensor } } {
  const s = c.inputSize;
  switch (c.net) {
    case 'resnet': {
      const data = batchOf([c.batch, s, s, 3], undefined, 1);
      const r = buildResNetClassifier({ inputSize: s, channels: 3, width: 4, depth: 1, numClasses: CLASSES, seed: 1 });
      return { net: layersNet(r.model, data.x, data.y, 1), data };
    }
    case 'mobilenet': {
      const data = batchOf([c.batch, s, s, 3], undefined, 2);
      const m = buildMobileNetClassifier({ inputSize: s, channels: 3, width: 4, depth: 1, numClasses: CLASSES, seed: 2 });
      return { net: layersNet(m, data.x, data.y, 1), data };
    }
    case 'cnn3d': {
      // Benchmark model C's layout, narrow: conv3d-relu-maxpool twice, conv3d, global average, dense.
      const data = batchOf([c.batch, s, s, s, 1], undefined, 3);
      const m = tfl.sequential({
        layers: [
          tfl.layers.conv3d({ inputShape: [s, s, s, 1], filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }),
          tfl.layers.maxPooling3d({ poolSize: 2 }),
          tfl.layers.conv3d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 4 }) }),
          tfl.layers.maxPooling3d({ poolSize: 2, padding: 'same' }),
          tfl.layers.conv3d({ filters: 8, kernelSize: 1, padding: 'valid', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 5 }) }),
          tfl.layers.reshape({ targetShape: [-1, 8] }),
          tfl.layers.globalAveragePooling1d({}),
          tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }),
        ],
      });
      return { net: layersNet(m, data.x, data.y, 0), data };
    }
    case 'vit3d': {
      const data = batchOf([c.batch, s, s, s, 1], undefined, 4);
      const ps = new ParamStore(4);
      const enc = new Vit3dEncoder({ inputSize: s, patchSize: s % 8 === 0 ? 8 : 4, channels: 1, embedDim: 16, depth: 1, heads: 2, mlpRatio: 2 }, ps);
      ps.glorot('head/w', [16, CLASSES]);
      const net: Trainable = {
        loss: () => tf.losses.softmaxCrossEntropy(data.y, tf.matMul(meanToken(enc.encode(data.x as tf.Tensor5D).tokens), ps.get('head/w'))) as tf.Scalar,
        vars: ps.variables(),
        dispose: () => ps.dispose(),
      };
      return { net, data };
    }
    case 'unetr': {
      const data = batchOf([c.batch, s, s, s, 1], [c.batch, s, s, s], 5);
      const ps = new ParamStore(5);
      const u = new Unetr3d({ encoder: { inputSize: s, patchSize: s % 8 === 0 ? 8 : 4, channels: 1, embedDim: 16, depth: 2, heads: 2, mlpRatio: 2 }, width: 2, classes: CLASSES }, ps);
      const net: Trainable = {
        loss: () => tf.losses.softmaxCrossEntropy(tf.reshape(data.y, [-1, CLASSES]), tf.reshape(u.apply(data.x as tf.Tensor5D), [-1, CLASSES])) as tf.Scalar,
        vars: ps.variables(),
        dispose: () => ps.dispose(),
      };
      return { net, data };
    }
  }
}

export function runCase(c: SmokeCase): SmokeResult {
  const t0 = performance.now();
  const losses: number[] = [];
  const { net, data } = build(c);
  const optimizer = tf.train.adam(1e-3);
  try {
    for (let i = 0; i < STEPS; i++) {
      const loss = optimizer.minimize(net.loss, true, net.vars)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    return { ...c, losses, ms: performance.now() - t0 };
  } catch (e) {
    return { ...c, losses, ms: performance.now() - t0, error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  } finally {
    optimizer.dispose();
    net.dispose();
    data.x.dispose();
    data.y.dispose();
  }
}

async function main(): Promise<void> {
  const cases = JSON.parse(process.argv[2] ?? '[]') as SmokeCase[];
  await ensureBackend({ backend: 'wasm', threads: 2 });
  for (const c of cases) {
    // The case goes out before it runs: if the process dies, the test names it.
    process.stdout.write(`START ${JSON.stringify(c)}\n`);
    process.stdout.write(`RESULT ${JSON.stringify(runCase(c))}\n`);
  }
}

if (require.main === module) void main();
