/**
 * Reading tensors back, the way every backend allows: asynchronously. On a GPU backend in Node
 * a synchronous read (dataSync, arraySync) throws ("OffscreenCanvas is not defined"), so the
 * training and evaluation paths read through these.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfGpuFailed } from './gpuErrors';

/** The first value of each tensor (undefined stays undefined). */
export async function readScalars(...ts: (tf.Tensor | undefined)[]): Promise<(number | undefined)[]> {
  const vals = await Promise.all(ts.map((t) => t?.data()));
  throwIfGpuFailed();
  return vals.map((v) => (v === undefined ? undefined : Number(v[0])));
}

/** A float32 tensor's values. */
export async function readFloats(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  throwIfGpuFailed();
  return v;
}

/**
 * The same values as a new tensor that no gradient tape connects to `t`: a stop-gradient that
 * shares the data on the backend (no copy, no read).
 */
export function stopGradient<T extends tf.Tensor>(t: T): T {
  const engine = tf.engine();
  // The new tensor holds its own reference to the data, as a clone does, but outside any tape.
  engine.backend.incRef(t.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as T;
}
