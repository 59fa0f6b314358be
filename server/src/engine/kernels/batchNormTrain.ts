/**
 * Batch normalisation in training mode as two kernels on the wasm backend: the forward pass
 * (statistics over every axis but the last, then normalise; outputs y, mean, variance) and its
 * complete gradient (through the batch statistics too, and through the mean/variance outputs
 * when a loss uses them). Two passes over the data each way; the tfjs composition of
 * moments + batchNorm + their gradients costs ~40. Used by engine/batchNormTrain.ts.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { jsChannelMath, type ChannelMath } from './channelMath';
import { heapF32 as f32, type WasmBackend } from './wasmOps';

export const BATCH_NORM_TRAIN = 'MedstudioBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MedstudioBatchNormTrainGrad';


function channels(x: TensorInfo): { c: number; n: number } {
  const c = x.shape[x.shape.length - 1] ?? 1;
  return { c, n: util.sizeFromShape(x.shape) / c };
}

/** inputs {x, gamma, beta}, attrs {epsilon} -> [y, mean, variance] (population variance, as tf.moments). */
export function batchNormTrainKernel(math: ChannelMath): KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAIN,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmBackend;
      const { x, gamma, beta } = inputs as Record<string, TensorInfo>;
      const eps = (attrs as { epsilon: number }).epsilon;
      const { c, n } = channels(x!);
      const [y, mean, variance] = [b.makeOutput(x!.shape, 'float32'), b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')];
      const sums = new Float64Array(2 * c);
      math.channelSums(f32(b, x!), null, null, sums);
      const g = f32(b, gamma!);
      const be = f32(b, beta!);
      const mu = new Float32Array(c);
      const va = new Float32Array(c);
      const p = new Float32Array(c);
      const r = new Float32Array(c);
      for (let k = 0; k < c; k++) {
        const m = sums[k]! / n;
        const v = Math.max(0, sums[c + k]! / n - m * m);
        mu[k] = m;
        va[k] = v;
        p[k] = g[k]! / Math.sqrt(v + eps);
        r[k] = be[k]! - m * p[k]!;
      }
      math.channelAffine(f32(b, x!), null, f32(b, y), p, null, r);
      f32(b, mean).set(mu);
      f32(b, variance).set(va);
      return [y, mean, variance];
    },
  };
}

/**
 * inputs {dy, x, mean, variance, gamma, dmean, dvariance}, attrs {epsilon} -> [dx, dgamma, dbeta].
 * With xc = x - mean, rs = 1/sqrt(var + eps) and n values per channel:
 *   dbeta = sum dy, dgamma = rs * sum dy*xc,
 *   dx = gamma*rs*(dy - dbeta/n - xc*rs^2*sum(dy*xc)/n) + dmean/n + 2*dvariance*xc/n,
 * folded per channel into dx = dy*p + x*q + r (one pass after the one pass of sums).
 */
export function batchNormTrainGradKernel(math: ChannelMath): KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAIN_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmBackend;
      const { dy, x, mean, variance, gamma, dmean, dvariance } = inputs as Record<string, TensorInfo>;
      const eps = (attrs as { epsilon: number }).epsilon;
      const { c, n } = channels(x!);
      const [dx, dgamma, dbeta] = [b.makeOutput(x!.shape, 'float32'), b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')];
      const mu = f32(b, mean!).slice();
      const sums = new Float64Array(2 * c);
      math.channelSums(f32(b, dy!), f32(b, x!), mu, sums);
      const va = f32(b, variance!);
      const g = f32(b, gamma!);
      const dm = f32(b, dmean!);
      const dv = f32(b, dvariance!);
      const p = new Float32Array(c);
      const q = new Float32Array(c);
      const r = new Float32Array(c);
      const dg = new Float32Array(c);
      const db = new Float32Array(c);
      for (let k = 0; k < c; k++) {
        const rs = 1 / Math.sqrt(va[k]! + eps);
        const sdy = sums[k]!;
        const sdyxc = sums[c + k]!;
        db[k] = sdy;
        dg[k] = rs * sdyxc;
        p[k] = g[k]! * rs;
        q[k] = (-g[k]! * rs * rs * rs * sdyxc + 2 * dv[k]!) / n;
        r[k] = (-g[k]! * rs * sdy + dm[k]!) / n - mu[k]! * q[k]!;
      }
      math.channelAffine(f32(b, dy!), f32(b, x!), f32(b, dx), p, q, r);
      f32(b, dgamma).set(dg);
      f32(b, dbeta).set(db);
      return [dx, dgamma, dbeta];
    },
  };
}

export const batchNormTrainConfigs = (math: ChannelMath = jsChannelMath): KernelConfig[] => [batchNormTrainKernel(math), batchNormTrainGradKernel(math)];
