/**
 * One GL-MAE step's input: for B volumes, their two global views (rows 0..B-1 are the first
 * global view of each volume, rows B..2B-1 the second), their local views, and the masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../transforms/rng';
import { type PatchMask, randomMask } from './masking';
import { type ViewOptions, makeViews } from './views';
import type { Volume } from './volume';

export interface GlmaeBatch {
  volumes: number;
  inputSize: number;
  localSize: number;
  /** [2B * S^3] */
  globals: Float32Array;
  globalMask: PatchMask;
  /** [B * L * s^3] (empty without local views) */
  locals: Float32Array;
  localMask?: PatchMask;
  /** Row of `globals` (the containing global view) for each local view. */
  localParent: number[];
}

export function makeBatch(vols: Volume[], rng: Rng, o: ViewOptions & { patchSize: number; maskRatio: number }): GlmaeBatch {
  const b = vols.length;
  const s3 = o.inputSize ** 3;
  const l3 = o.localSize ** 3;
  const globals = new Float32Array(2 * b * s3);
  const locals = new Float32Array(b * o.localViews * l3);
  const localParent: number[] = [];
  vols.forEach((v, i) => {
    const views = makeViews(v, rng.fork(i), o);
    globals.set(views.globals[0], i * s3);
    globals.set(views.globals[1], (b + i) * s3);
    views.locals.forEach((l, j) => {
      locals.set(l, (i * o.localViews + j) * l3);
      localParent.push(views.localParent[j] === 0 ? i : b + i);
    });
  });
  const gGrid = (o.inputSize / o.patchSize) ** 3;
  const lGrid = (o.localSize / o.patchSize) ** 3;
  return {
    volumes: b,
    inputSize: o.inputSize,
    localSize: o.localSize,
    globals,
    globalMask: randomMask(rng, 2 * b, gGrid, o.maskRatio),
    locals,
    localMask: o.localViews > 0 ? randomMask(rng, b * o.localViews, lGrid, o.maskRatio) : undefined,
    localParent,
  };
}

export function globalsTensor(batch: GlmaeBatch): tf.Tensor5D {
  const s = batch.inputSize;
  return tf.tensor5d(batch.globals, [2 * batch.volumes, s, s, s, 1]);
}

export function localsTensor(batch: GlmaeBatch): tf.Tensor5D | undefined {
  if (!batch.localMask) return undefined;
  const s = batch.localSize;
  return tf.tensor5d(batch.locals, [batch.localParent.length, s, s, s, 1]);
}
