/**
 * Volume ops for the UNETR-style decoder, chosen for what is fast (and differentiable) on wasm:
 * 1x1x1 convolutions and the stride-2, kernel-2 transposed convolution are plain matMuls (the
 * latter followed by a depth-to-space reshape), so only the few 3x3x3 convolutions use conv3d,
 * and never on many channels at full resolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './vit3dParams';

/** He-uniform kernel [k, k, k, cin, cout] + zero bias. */
export function declareConv3d(ps: ParamStore, name: string, k: number, cin: number, cout: number, bias = true): void {
  const fanIn = k * k * k * cin;
  ps.glorot(`${name}/w`, [k, k, k, cin, cout], fanIn, fanIn / 2); // sqrt(6/(1.5 fanIn)) ~ He for ReLU
  if (bias) ps.zeros(`${name}/b`, [cout]);
}

export function conv3d(ps: ParamStore, name: string, x: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const y = tf.conv3d(x, ps.get(`${name}/w`) as tf.Tensor5D, 1, 'same');
    return (ps.has(`${name}/b`) ? tf.add(y, ps.get(`${name}/b`)) : y) as tf.Tensor5D;
  });
}

/** 1x1x1 convolution as a matMul: [B, D, H, W, Cin] -> [B, D, H, W, Cout]. */
export function declarePointwise(ps: ParamStore, name: string, cin: number, cout: number, bias = true): void {
  ps.glorot(`${name}/w`, [cin, cout]);
  if (bias) ps.zeros(`${name}/b`, [cout]);
}

export function pointwise(ps: ParamStore, name: string, x: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, c] = x.shape;
    const wt = ps.get(`${name}/w`);
    const m = tf.matMul(tf.reshape(x, [-1, c]), wt);
    const y = ps.has(`${name}/b`) ? tf.add(m, ps.get(`${name}/b`)) : m;
    return tf.reshape(y, [b, d, h, w, wt.shape[1]!]) as tf.Tensor5D;
  });
}

/** Transposed convolution, kernel 2, stride 2: each voxel becomes a 2x2x2 block. */
export function declareUpsample(ps: ParamStore, name: string, cin: number, cout: number): void {
  ps.glorot(`${name}/w`, [cin, 8 * cout], cin, 8 * cout);
  ps.zeros(`${name}/b`, [cout]);
}

export function upsample(ps: ParamStore, name: string, x: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, c] = x.shape;
    const wt = ps.get(`${name}/w`);
    const cout = wt.shape[1]! / 8;
    const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, c]), wt), [b, d, h, w, 2, 2, 2, cout]);
    const s = tf.reshape(tf.transpose(y, [0, 1, 4, 2, 5, 3, 6, 7]), [b, 2 * d, 2 * h, 2 * w, cout]);
    return tf.add(s, ps.get(`${name}/b`)) as tf.Tensor5D;
  });
}

/** Tokens [B, N, E] on a grid -> a volume of features [B, gd, gh, gw, E]. */
export function tokensToVolume(tokens: tf.Tensor3D, grid: readonly number[]): tf.Tensor5D {
  const [b, , e] = tokens.shape;
  return tf.reshape(tokens, [b, grid[0]!, grid[1]!, grid[2]!, e]) as tf.Tensor5D;
}
