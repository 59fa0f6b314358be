/**
 * Frozen features for the probes (encoder in inference mode, in batches), and the cost table:
 * parameter count and inference time per image.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** `images` yields batches [B, S, S, C] (the caller owns and disposes them). */
export async function extractFeatures(encoder: tfl.LayersModel, batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>): Promise<{ features: Float32Array; dim: number }> {
  const parts: Float32Array[] = [];
  let dim = 0;
  for await (const x of batches) {
    const f = tf.tidy(() => encoder.apply(x, { training: false }) as tf.Tensor2D);
    dim = f.shape[1];
    parts.push((await f.data()) as Float32Array);
    f.dispose();
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { features: out, dim };
}

export interface CostRow {
  name: string;
  params: number;
  /** Milliseconds per image, batch of `batch`, median of `repeats` timed runs after one warm-up. */
  msPerImage: number;
  batch: number;
}

export async function measureCost(name: string, encoder: tfl.LayersModel, inputSize: number, channels: number, batch = 32, repeats = 3): Promise<CostRow> {
  const x = tf.randomUniform([batch, inputSize, inputSize, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const once = async () => {
    const t0 = performance.now();
    const f = tf.tidy(() => encoder.apply(x, { training: false }) as tf.Tensor);
    await f.data();
    f.dispose();
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  x.dispose();
  times.sort((a, b) => a - b);
  return { name, params: encoder.countParams(), msPerImage: times[Math.floor(times.length / 2)]! / batch, batch };
}
