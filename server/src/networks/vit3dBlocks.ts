/**
 * Transformer building blocks over a ParamStore: dense, layer norm, multi-head self-attention
 * and the pre-LN block x + MHSA(LN(x)), x + MLP(LN(x)). Every op here has a gradient kernel on
 * wasm (matMul, batchMatMul, softmax, erf), so the ViT trains on any backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './vit3dParams';

export function declareDense(ps: ParamStore, name: string, inDim: number, outDim: number): void {
  ps.glorot(`${name}/w`, [inDim, outDim]);
  ps.zeros(`${name}/b`, [outDim]);
}

/** x [..., in] -> [..., out] through a 2D matMul (fast on wasm). */
export function dense(ps: ParamStore, name: string, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const w = ps.get(`${name}/w`);
    const inDim = x.shape[x.shape.length - 1]!;
    const flat = tf.reshape(x, [-1, inDim]);
    const y = tf.add(tf.matMul(flat, w), ps.get(`${name}/b`));
    return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]!]);
  });
}

export function declareLayerNorm(ps: ParamStore, name: string, dim: number): void {
  ps.ones(`${name}/g`, [dim]);
  ps.zeros(`${name}/b`, [dim]);
}

export function layerNorm(ps: ParamStore, name: string, x: tf.Tensor, eps = 1e-6): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const mean = tf.mean(x, axis, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axis, true);
    const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, ps.get(`${name}/g`)), ps.get(`${name}/b`));
  });
}

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

export function declareAttention(ps: ParamStore, name: string, dim: number): void {
  declareDense(ps, `${name}/qkv`, dim, 3 * dim);
  declareDense(ps, `${name}/proj`, dim, dim);
}

/** Multi-head self-attention over tokens x [B, N, E]. */
export function attention(ps: ParamStore, name: string, x: tf.Tensor3D, heads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, e] = x.shape;
    const dh = e / heads;
    const qkv = tf.reshape(dense(ps, `${name}/qkv`, x), [b, n, 3, heads, dh]);
    const [q, k, v] = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true);
    const attn = tf.softmax(scores);
    const out = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b, n, e]);
    return dense(ps, `${name}/proj`, out) as tf.Tensor3D;
  });
}

export function declareBlock(ps: ParamStore, name: string, dim: number, mlpRatio: number): void {
  declareLayerNorm(ps, `${name}/ln1`, dim);
  declareAttention(ps, `${name}/attn`, dim);
  declareLayerNorm(ps, `${name}/ln2`, dim);
  declareDense(ps, `${name}/fc1`, dim, dim * mlpRatio);
  declareDense(ps, `${name}/fc2`, dim * mlpRatio, dim);
}

/** Pre-LN transformer block. */
export function block(ps: ParamStore, name: string, x: tf.Tensor3D, heads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const a = tf.add(x, attention(ps, `${name}/attn`, layerNorm(ps, `${name}/ln1`, x) as tf.Tensor3D, heads));
    const m = dense(ps, `${name}/fc2`, gelu(dense(ps, `${name}/fc1`, layerNorm(ps, `${name}/ln2`, a))));
    return tf.add(a, m) as tf.Tensor3D;
  });
}
