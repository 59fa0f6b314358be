/**
 * What a GL-MAE run's student makes of a volume: the whole volume resized to the network input,
 * a seeded random patch mask, and the decoder's prediction of the masked patches. The model
 * predicts normalised voxels (the training target); they are mapped back with the view's mean
 * and spread (glmae.target: view), or with each patch's own (target: patch, as MAE
 * visualisations do — the patch's mean level then comes from the original).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normaliseImage } from '../../data/datasets/preprocess';
import { readImage } from '../../data/readers';
import { loadParams } from '../../networks/vit3dWeights';
import { patchify, unpatchify } from '../../networks/vit3dPatches';
import { resizeLinear } from '../../transforms/resample';
import { createRng } from '../../transforms/rng';
import { maskTensors, randomMask } from './masking';
import { GlmaeModel } from './model';
import type { GlmaeOptions } from './options';
import { GLMAE_FORMAT, MODEL_DIR } from './train';

export interface LoadedGlmae {
  model: GlmaeModel;
  options: GlmaeOptions;
}

export function glmaeModelFile(runDir: string): string {
  return path.join(runDir, MODEL_DIR, 'glmae.json');
}

/** The trained student of a GL-MAE run (the caller disposes model). */
export function loadGlmaeRun(runDir: string): LoadedGlmae {
  const file = glmaeModelFile(runDir);
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a finished GL-MAE run (no ${path.join(MODEL_DIR, 'glmae.json')})`);
  const { topology, tensors } = loadParams<{ options: GlmaeOptions }>(file, GLMAE_FORMAT);
  try {
    const model = new GlmaeModel(topology.options);
    model.student.assignFrom(tensors, { strict: true });
    return { model, options: topology.options };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

export interface Reconstruction {
  /** [z, y, x] sizes (= D, H, W). */
  shape: [number, number, number];
  original: Float32Array;
  masked: Float32Array;
  reconstruction: Float32Array;
  mask: Float32Array;
  maskedMse: number;
}

/** Reads and scales a volume as training did ('auto': per-volume min-max to [0, 1]) at size^3. */
export async function readVolumeForModel(file: string, size: number): Promise<Float32Array> {
  const img = await readImage(file);
  if (img.spatialDims !== 3) throw new Error(`${file}: is not a 3D volume`);
  const v = normaliseImage({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, 1, 'auto', 3, file);
  return resizeLinear(v, [size, size, size]).data;
}

export async function reconstruct(loaded: LoadedGlmae, volume: Float32Array, maskRatio: number, seed: number): Promise<Reconstruction> {
  const { model, options } = loaded;
  const s = options.encoder.inputSize;
  const p = options.encoder.patchSize;
  const g = s / p;
  const m = randomMask(createRng(seed), 1, g * g * g, maskRatio);
  const out = tf.tidy(() => {
    const x = tf.tensor5d(volume, [1, s, s, s, 1]);
    const { mask, keep } = maskTensors(m);
    const enc = model.encoder.encode(x, { keep });
    const pred = model.decoder.decode(enc.tokens, keep, enc.grid);
    const target = patchify(x, p);
    // Undo the training target's normalisation: per view (old runs without `target`: per patch).
    const { mean, variance } = tf.moments(target, (options.target ?? 'patch') === 'view' ? [1, 2] : 2, true);
    const denorm = tf.add(tf.mul(pred, tf.sqrt(tf.add(variance, 1e-6))), mean);
    const m3 = tf.expandDims(mask, 2);
    const pasted = tf.add(tf.mul(denorm, m3), tf.mul(target, tf.sub(1, m3)));
    const maskedIn = tf.mul(target, tf.sub(1, m3));
    const maskVox = tf.mul(tf.onesLike(target), m3);
    const mse = tf.div(tf.sum(tf.mul(tf.squaredDifference(denorm, target), m3)), tf.maximum(tf.sum(maskVox), 1));
    const grid: [number, number, number] = [g, g, g];
    return {
      rec: unpatchify(pasted as tf.Tensor3D, p, grid, 1),
      masked: unpatchify(maskedIn as tf.Tensor3D, p, grid, 1),
      mask: unpatchify(maskVox as tf.Tensor3D, p, grid, 1),
      mse,
    };
  });
  try {
    const [masked, reconstruction, mask, mse] = await Promise.all([out.masked, out.rec, out.mask, out.mse].map(readFloats));
    return { shape: [s, s, s], original: volume, masked: masked!, reconstruction: reconstruction!, mask: mask!, maskedMse: mse![0]! };
  } finally {
    tf.dispose([out.rec, out.masked, out.mask, out.mse]);
  }
}
