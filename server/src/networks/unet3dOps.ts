/**
 * The U-Net's own ops, written for the wasm backend with the native kernels.
 *
 * The U-Net's transposed convolution with kernel = stride (each voxel becomes an sd x sh x sw
 * block, no overlap) as one matMul and a depth-to-space reshape: the same function as
 * conv3dTranspose(kernel = stride, stride), several times faster on wasm than tfjs's
 * Conv3DBackpropInput, and its gradient is a matMul too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './vit3dParams';

type Triple = [number, number, number];

export function declareUpsample(ps: ParamStore, name: string, cin: number, cout: number, stride: Triple): void {
  const k = stride[0] * stride[1] * stride[2];
  ps.glorot(`${name}/w`, [cin, k * cout], cin, k * cout);
  ps.zeros(`${name}/b`, [cout]);
}

export function upsampleBy(ps: ParamStore, name: string, x: tf.Tensor5D, stride: Triple): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, c] = x.shape;
    const [sd, sh, sw] = stride;
    const wt = ps.get(`${name}/w`);
    const cout = wt.shape[1]! / (sd * sh * sw);
    const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, c]), wt), [b, d, h, w, sd, sh, sw, cout]);
    const s = tf.reshape(tf.transpose(y, [0, 1, 4, 2, 5, 3, 6, 7]), [b, sd * d, sh * h, sw * w, cout]);
    return tf.add(s, ps.get(`${name}/b`)) as tf.Tensor5D;
  });
}

/**
 * Leaky ReLU as x * s with s = step(x, slope) (1 where x > 0, else slope; NaN stays NaN), and
 * its gradient dy * s from the same s: tfjs's LeakyRelu is a single-threaded wasm loop and its
 * gradient three more passes (Greater, Multiply, Select); profiled at 40x56x40 they took a
 * quarter of a U-Net step. Step and Multiply run natively (multi-threaded) when the addon is
 * loaded; on other backends this is the same function built from their own kernels.
 */
export function leakyRelu<T extends tf.Tensor>(x: T, slope: number): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const s = tf.step(input, slope);
    save([s]);
    return { value: tf.mul(input, s), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  });
  return f(x) as T;
}

/** conv3d(x, w, stride, 'same') for x [B, 1, H, W, C] and w [1, kh, kw, C, F] (stride 1 along depth), as one conv2d. */
export function conv2dOfDepth1(x: tf.Tensor5D, w: tf.Tensor5D, stride: Triple): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, , h, wd, c] = x.shape;
    const [, kh, kw, ci, co] = w.shape;
    const y = tf.conv2d(tf.reshape(x, [b, h, wd, c]) as tf.Tensor4D, tf.reshape(w, [kh, kw, ci, co]) as tf.Tensor4D, [stride[1], stride[2]], 'same');
    return tf.expandDims(y, 1) as tf.Tensor5D;
  });
}
