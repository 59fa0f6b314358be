/**
 * The benchmark's models (issue 3), as MedStudio builds them: A, B, C in tfjs-layers, D the
 * GL-MAE ViT-3D from server/src/networks. Each gives one training step on a fixed random batch
 * and its analytic training FLOPs per image (multiply-adds x 2 of convolutions and matrix
 * products; backward = 2 x forward, minus the first layer's unneeded input gradient).
 * torch_models.py builds the same four for the PyTorch side.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormalization } from '../../server/src/networks/batchNorm';

export type ModelName = 'A' | 'B' | 'C' | 'D';
export const MODEL_NAMES: ModelName[] = ['A', 'B', 'C', 'D'];

export interface Trainer {
  /** One optimiser step on the batch; returns the loss (read, so the step has finished). */
  step(): number;
  dispose(): void;
}

export interface BenchModel {
  name: ModelName;
  describe: string;
  batch: number;
  trainFlopsPerImage: number;
  build(): Promise<Trainer>;
}

const conv2dMacs = (outHW: number, cin: number, cout: number, k: number): number => outHW * outHW * cout * cin * k * k;
const conv3dMacs = (outD: number, cin: number, cout: number, k: number): number => outD ** 3 * cout * cin * k ** 3;
/** Forward MACs -> training FLOPs: 3 passes of 2 FLOPs, less the first layer's input gradient. */
const trainFlops = (fwdMacs: number, firstLayerMacs: number): number => 2 * (3 * fwdMacs - firstLayerMacs);

function randomBatch(shape: number[], classes: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed);
    const labels = tf.randomUniform([shape[0]!], 0, classes, 'int32', seed + 1);
    return { x, y: tf.oneHot(labels, classes) };
  });
}

function layersTrainer(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Trainer {
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    step() {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
        vars,
      )!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

const modelA: BenchModel = {
  name: 'A',
  describe: '64x64x3 CNN: conv3x3(16)-relu-maxpool, conv3x3(32)-relu-maxpool, conv3x3(64)-relu, GAP, dense(7); Adam; batch 32',
  batch: 32,
  trainFlopsPerImage: trainFlops(conv2dMacs(64, 3, 16, 3) + conv2dMacs(32, 16, 32, 3) + conv2dMacs(16, 32, 64, 3) + 64 * 7, conv2dMacs(64, 3, 16, 3)),
  async build() {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [64, 64, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 7 }),
      ],
    });
    const { x, y } = randomBatch([32, 64, 64, 3], 7, 1);
    return layersTrainer(m, x, y);
  },
};

function convBn(x: tfl.SymbolicTensor, filters: number, k: number, stride: number, relu: boolean): tfl.SymbolicTensor {
  let y = tfl.layers.conv2d({ filters, kernelSize: k, strides: stride, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
  y = batchNormalization({}).apply(y) as tfl.SymbolicTensor;
  return relu ? (tfl.layers.activation({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor) : y;
}

function residual(x: tfl.SymbolicTensor, filters: number, stride: number): tfl.SymbolicTensor {
  const y = convBn(convBn(x, filters, 3, stride, true), filters, 3, 1, false);
  const skip = stride === 1 && x.shape[3] === filters ? x : convBn(x, filters, 1, stride, false);
  return tfl.layers.activation({ activation: 'relu' }).apply(tfl.layers.add().apply([y, skip])) as tfl.SymbolicTensor;
}

const block32 = 2 * conv2dMacs(28, 32, 32, 3);
const modelB: BenchModel = {
  name: 'B',
  describe: '28x28x1 ResNet: conv32+BN, 2 residual blocks at 32, stride-2 to 64, 2 residual blocks, GAP, dense(2); Adam; batch 64',
  batch: 64,
  trainFlopsPerImage: trainFlops(
    conv2dMacs(28, 1, 32, 3) + 2 * block32 + conv2dMacs(14, 32, 64, 3) + conv2dMacs(14, 64, 64, 3) + conv2dMacs(14, 32, 64, 1) + 2 * conv2dMacs(14, 64, 64, 3) + 64 * 2,
    conv2dMacs(28, 1, 32, 3),
  ),
  async build() {
    const input = tfl.input({ shape: [28, 28, 1] });
    let t = convBn(input, 32, 3, 1, true);
    t = residual(residual(t, 32, 1), 32, 1);
    t = residual(residual(t, 64, 2), 64, 1);
    const out = tfl.layers.dense({ units: 2 }).apply(tfl.layers.globalAveragePooling2d({}).apply(t)) as tfl.SymbolicTensor;
    const { x, y } = randomBatch([64, 28, 28, 1], 2, 2);
    return layersTrainer(tfl.model({ inputs: input, outputs: out }), x, y);
  },
};

const modelC: BenchModel = {
  name: 'C',
  describe: '32^3x1 3D CNN: conv3d(8)-relu-maxpool, conv3d(16)-relu-maxpool, conv3d(32)-relu, GAP, dense(2); Adam; batch 8',
  batch: 8,
  trainFlopsPerImage: trainFlops(conv3dMacs(32, 1, 8, 3) + conv3dMacs(16, 8, 16, 3) + conv3dMacs(8, 16, 32, 3) + 32 * 2, conv3dMacs(32, 1, 8, 3)),
  async build() {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv3d({ inputShape: [32, 32, 32, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling3d({ poolSize: 2 }),
        tfl.layers.conv3d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling3d({ poolSize: 2 }),
        tfl.layers.conv3d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        // tfjs-layers has no 3D global pooling: flatten the 8^3 grid, then average over it.
        tfl.layers.reshape({ targetShape: [8 * 8 * 8, 32] }),
        tfl.layers.globalAveragePooling1d({}),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const { x, y } = randomBatch([8, 32, 32, 32, 1], 2, 3);
    return layersTrainer(m, x, y);
  },
};

/** GL-MAE sizes: 32^3 input, patch 8, embed 96, depth 4, heads 4, MLP x4; decoder 64 wide, depth 2. */
const VIT = { size: 32, patch: 8, embed: 96, depth: 4, heads: 4, mlp: 4, decWidth: 64, decDepth: 2, decHeads: 4, maskRatio: 0.75, batch: 8 };

function vitTrainFlops(): number {
  const n = (VIT.size / VIT.patch) ** 3;
  const vis = Math.round(n * (1 - VIT.maskRatio));
  const pv = VIT.patch ** 3;
  const blockMacs = (tokens: number, e: number): number => tokens * (4 * e * e + 2 * VIT.mlp * e * e) + 2 * tokens * tokens * e;
  const patchEmbed = n * pv * VIT.embed;
  const fwd = patchEmbed + VIT.depth * blockMacs(vis, VIT.embed) + vis * VIT.embed * VIT.decWidth + VIT.decDepth * blockMacs(n, VIT.decWidth) + n * VIT.decWidth * pv;
  return trainFlops(fwd, patchEmbed);
}

const modelD: BenchModel = {
  name: 'D',
  describe: `GL-MAE ViT-3D encoder+decoder: 32^3x1, patch 8, embed 96, depth 4, heads 4; decoder 64 wide, depth 2; mask 0.75; Adam; batch ${VIT.batch}`,
  batch: VIT.batch,
  trainFlopsPerImage: vitTrainFlops(),
  build: () => import('./vitMae').then((m) => m.buildVitMaeTrainer(VIT)),
};

export const MODELS: Record<ModelName, BenchModel> = { A: modelA, B: modelB, C: modelC, D: modelD };
