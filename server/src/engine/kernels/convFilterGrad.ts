/**
 * Filter gradients of 2D convolutions as forward convolutions (XNNPACK) or cheap reductions.
 *
 * Regular conv: dW[a,b,ci,co] = sum_{n,i,j} xpad[n, i*s+a, j*s+b, ci] * dy[n,i,j,co] is itself a
 * convolution once batch and channel axes trade places: input x^T [Ci,H,W,N], filter
 * dy^T [Ho,Wo,N,Co], stride 1, dilation s, giving [Ci,kh,kw,Co].
 * Depthwise conv: a direct loop over the output pixels (few multiply-adds; exact for any stride
 * and dilation).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend, WasmOps } from './wasmOps';

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

/**
 * x [N,H,W,C], dy [N,Ho,Wo,C*M] -> dW [kh,kw,C,M], as one pass over the output pixels in JS:
 * a depthwise filter gradient is only N*Ho*Wo*kh*kw*C*M multiply-adds, and composing it from
 * per-tap slices, products and sums cost 1.6 s of a 1.9 s MobileNet step (measured).
 * Accumulates in double (sums over a whole batch of pixels).
 */
export function depthwiseFilterGrad(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, w: ConvWindow, multiplier: number): TensorInfo {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [, ho, wo] = dy.shape as [number, number, number, number];
  const [kh, kw] = w.taps;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  const m = multiplier;
  const out = backend.makeOutput([kh, kw, c, m], 'float32');
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  const acc = new Float64Array(kh * kw * c * m);
  const cm = c * m;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const dyBase = ((b * ho + i) * wo + j) * cm;
        for (let ta = 0; ta < kh; ta++) {
          const yy = i * sh + ta * dh - w.padTop;
          if (yy < 0 || yy >= h) continue;
          for (let tb = 0; tb < kw; tb++) {
            const xx = j * sw + tb * dw - w.padLeft;
            if (xx < 0 || xx >= wd) continue;
            const xBase = ((b * h + yy) * wd + xx) * c;
            const aBase = (ta * kw + tb) * cm;
            if (m === 1) {
              for (let k = 0; k < c; k++) acc[aBase + k] = acc[aBase + k]! + xs[xBase + k]! * dys[dyBase + k]!;
            } else {
              for (let k = 0; k < c; k++) {
                const xv = xs[xBase + k]!;
                for (let q = 0; q < m; q++) acc[aBase + k * m + q] = acc[aBase + k * m + q]! + xv * dys[dyBase + k * m + q]!;
              }
            }
          }
        }
      }
    }
  }
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}
