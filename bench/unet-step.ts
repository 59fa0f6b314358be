/**
 * `npm run bench -- unet-step [--json] [--threads 2] [--features 16] [--steps 8]`
 *
 * Wall time of one U-Net training step at the hippocampus plan's size as the U-Net trainer runs
 * it: augment 2 patches of 40x56x40 (unetTrain's UNET_AUGMENT), forward + backward with deep
 * supervision, SGD Nesterov update; median over the steps after 2 warm-up steps, split into its
 * parts. Synthetic intensities (the step's cost does not depend on them). A fixed thread count
 * (the trainer's governor is not involved); the 1-minute load average is reported beside, since
 * on a shared host it decides most of the figure.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { deepSupervisionLoss } from '../server/src/methods/segment/unetLoss';
import { UNET_AUGMENT } from '../server/src/methods/segment/unetTrain';
import { Unet3d, type Triple } from '../server/src/networks/unet3d';
import { ParamStore } from '../server/src/networks/vit3dParams';
import { makeOptimizer } from '../server/src/training/optim';
import { augment } from '../server/src/transforms/augment';
import { createRng } from '../server/src/transforms/rng';

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const bench: Bench = async ({ args, log }) => {
  const val = (k: string, d: number): number => {
    const i = args.indexOf(`--${k}`);
    const v = i >= 0 ? Number(args[i + 1]) : d;
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} needs a whole number >= 1, got '${args[i + 1]}'`);
    return v;
  };
  const threads = val('threads', 2);
  const features = val('features', 16);
  const steps = val('steps', 8) + 2;
  const compute = await ensureBackend({ threads });
  const patch: Triple = [40, 56, 40];
  const B = 2;
  const pv = patch[0] * patch[1] * patch[2];
  const strides: Triple[] = [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]];
  const ps = new ParamStore(1);
  const net = new Unet3d({ channels: 1, classes: 3, features, maxFeatures: 320, strides, kernels: strides.map(() => [3, 3, 3] as Triple), block: 'plain', deepSupervision: true }, ps);
  const vars = ps.variables();
  const opt = makeOptimizer({ optimizer: 'sgd', momentum: 0.99, nesterov: true, weightDecay: 0 }, 0.01);
  const rng = createRng(1);
  const image = Float32Array.from({ length: pv }, (_, i) => Math.sin(i * 0.01));
  const label = Int32Array.from({ length: pv }, (_, i) => (i % 97 < 10 ? 1 : i % 97 < 20 ? 2 : 0));
  const parts: [number, number, number][] = [];
  const load: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const x = new Float32Array(B * pv);
    const y = new Int32Array(B * pv);
    for (let k = 0; k < B; k++) {
      const r = augment({ data: image, shape: patch, channels: 1 }, rng, 3, UNET_AUGMENT, { data: Float32Array.from(label), shape: patch, channels: 1 });
      x.set(r.image.data, k * pv);
      y.set(Int32Array.from(r.mask!.data), k * pv);
    }
    const t1 = performance.now();
    const xt = tf.tensor5d(x, [B, ...patch, 1]);
    const yt = tf.tensor4d(y, [B, ...patch], 'int32');
    const { value, grads } = tf.variableGrads(() => deepSupervisionLoss(net.forward(xt, true), yt, strides).loss, vars);
    value.dataSync();
    const t2 = performance.now();
    opt.applyGradients(grads);
    tf.dispose([value, xt, yt, ...Object.values(grads)]);
    const t3 = performance.now();
    if (s >= 2) {
      parts.push([t1 - t0, t2 - t1, t3 - t2]);
      load.push(os.loadavg()[0]!);
    }
  }
  opt.dispose();
  ps.dispose();
  const fig = {
    backend: compute.backend,
    device: compute.device,
    nativeKernels: String(compute.details.nativeKernels ?? 'none'),
    data: 'synthetic 40x56x40 patches (the hippocampus plan), batch 2',
    threads,
    features,
    steps: parts.length,
    stepMs: median(parts.map((p) => p[0] + p[1] + p[2])),
    augmentMs: median(parts.map((p) => p[0])),
    forwardBackwardMs: median(parts.map((p) => p[1])),
    optimiserMs: median(parts.map((p) => p[2])),
    loadAverage: median(load),
  };
  log(`U-Net step (${fig.data}, features ${features}, ${threads} thread(s)) [${fig.backend}]: ${fig.stepMs.toFixed(0)} ms (augment ${fig.augmentMs.toFixed(0)}, forward+backward ${fig.forwardBackwardMs.toFixed(0)}, optimiser ${fig.optimiserMs.toFixed(0)}); load average ${fig.loadAverage.toFixed(1)}`);
  return fig;
};

export default bench;
