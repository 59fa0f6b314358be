/**
 * Filter gradients of 2D convolutions as forward convolutions (XNNPACK) or cheap reductions.
 *
 * Regular conv: dW[a,b,ci,co] = sum_{n,i,j} xpad[n, i*s+a, j*s+b, ci] * dy[n,i,j,co] is itself a
 * convolution once batch and channel axes trade places: input x^T [Ci,H,W,N], filter
 * dy^T [Ho,Wo,N,Co], stride 1, dilation s, giving [Ci,kh,kw,Co].
 * Depthwise conv: one multiply-and-sum per filter tap over strided slices of x (the filter is
 * small and depthwise layers are cheap; this keeps it exact for any stride and dilation).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmOps } from './wasmOps';

export interface ConvWindow {
  taps: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Resolved padding (top, left) of the forward convolution. */
  padTop: number;
  padLeft: number;
}

/** Rows of padded x a window reads: [-padBefore, needed - padBefore) in x's coordinates. */
function reach(taps: number, stride: number, dilation: number, outLen: number): number {
  return (taps - 1) * dilation + (outLen - 1) * stride + 1;
}

/** x [N,H,W,Ci], dy [N,Ho,Wo,Co] -> dW [kh,kw,Ci,Co] (no dilation: tfjs never asks for it). */
export function convFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, w: ConvWindow): TensorInfo {
  const [, h, wd] = x.shape as [number, number, number, number];
  const [, ho, wo] = dy.shape as [number, number, number, number];
  const [kh, kw] = w.taps;
  if (w.dilations[0] !== 1 || w.dilations[1] !== 1) throw new Error('conv2d filter gradient with dilation > 1 is not supported');
  const back = (taps: number, stride: number, outLen: number, padBefore: number, len: number): number =>
    reach(taps, stride, 1, outLen) - padBefore - len;
  const padB = back(kh, w.strides[0], ho, w.padTop, h);
  const padR = back(kw, w.strides[1], wo, w.padLeft, wd);
  // Rows past the last window are cropped; missing ones become the conv's own zero padding.
  // A negative front pad (tfjs's 3D 'same' can make one) is a crop too.
  const xc = ops.padOrCrop(x, [[0, 0], [Math.min(0, w.padTop), Math.min(0, padB)], [Math.min(0, w.padLeft), Math.min(0, padR)], [0, 0]]);
  const xT = ops.transpose(xc, [3, 1, 2, 0]);
  const dyT = ops.transpose(dy, [1, 2, 0, 3]);
  const g = ops.run('Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [Math.max(0, w.padTop), Math.max(0, padB)], [Math.max(0, w.padLeft), Math.max(0, padR)], [0, 0]],
    dataFormat: 'NHWC',
    dilations: w.strides,
    dimRoundingMode: undefined,
  });
  return ops.transpose(g, [1, 2, 0, 3]);
}

/** x [N,H,W,C], dy [N,Ho,Wo,C*M] -> dW [kh,kw,C,M]. */
export function depthwiseFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, w: ConvWindow, multiplier: number): TensorInfo {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [, ho, wo] = dy.shape as [number, number, number, number];
  const [kh, kw] = w.taps;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  const needH = reach(kh, sh, dh, ho);
  const needW = reach(kw, sw, dw, wo);
  const xp = ops.padOrCrop(x, [[0, 0], [w.padTop, needH - w.padTop - h], [w.padLeft, needW - w.padLeft - wd], [0, 0]]);
  const rowsN = n * ho * wo;
  const dy3 = ops.reshape(dy, [rowsN, c, multiplier]);
  const perTap: TensorInfo[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const win = ops.run('StridedSlice', { x: xp }, {
        begin: [0, a * dh, b * dw, 0],
        end: [n, a * dh + (ho - 1) * sh + 1, b * dw + (wo - 1) * sw + 1, c],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
      const prod = ops.run('Multiply', { a: ops.reshape(win, [rowsN, c, 1]), b: dy3 });
      perTap.push(ops.run('Sum', { x: prod }, { axis: [0], keepDims: false }));
    }
  }
  return ops.reshape(ops.run('Pack', perTap, { axis: 0 }), [kh, kw, c, multiplier]);
}
