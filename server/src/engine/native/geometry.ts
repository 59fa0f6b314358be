/**
 * The window geometry the native addon reads, packed as one Int32Array (layout in
 * server/native/src/addon.cc): [nd, N, Cin, Cout, in[nd], out[nd], k[nd], stride[nd],
 * padBefore[nd], padAfter[nd], dilation[nd], activation, groups]. Built from tfjs's own conv/pool info
 * so padding, rounding and 'same' follow tfjs exactly.
 */
import type { backend_util } from '@tensorflow/tfjs-core';

export interface Axis {
  in: number;
  out: number;
  k: number;
  stride: number;
  before: number;
  after: number;
  dilation: number;
}

export type Activation = 0 | 1 | 2; // linear, relu, relu6

/**
 * oneDNN wants in + before + after - extent to land exactly on the last window; tfjs may pad
 * more (or round up), so the after-padding is recomputed where the two disagree. Padding that
 * no window reaches changes nothing.
 */
function consistent(a: Axis): Axis {
  const extent = (a.k - 1) * a.dilation + 1;
  const fits = Math.floor((a.in + a.before + a.after - extent) / a.stride) + 1 === a.out;
  return fits ? a : { ...a, after: (a.out - 1) * a.stride + extent - a.in - a.before };
}

export function pack(batch: number, cin: number, cout: number, axes: Axis[], act: Activation = 0, groups = 1): Int32Array {
  const ax = axes.map(consistent);
  const field = (f: keyof Axis): number[] => ax.map((a) => a[f]);
  return Int32Array.from([
    ax.length, batch, cin, cout,
    ...field('in'), ...field('out'), ...field('k'), ...field('stride'), ...field('before'), ...field('after'), ...field('dilation'),
    act,
    groups,
  ]);
}

export function conv2dAxes(ci: backend_util.Conv2DInfo): Axis[] {
  const p = ci.padInfo;
  return [
    { in: ci.inHeight, out: ci.outHeight, k: ci.filterHeight, stride: ci.strideHeight, before: p.top, after: p.bottom, dilation: ci.dilationHeight },
    { in: ci.inWidth, out: ci.outWidth, k: ci.filterWidth, stride: ci.strideWidth, before: p.left, after: p.right, dilation: ci.dilationWidth },
  ];
}

export function conv3dAxes(ci: backend_util.Conv3DInfo): Axis[] {
  const p = ci.padInfo;
  return [
    { in: ci.inDepth, out: ci.outDepth, k: ci.filterDepth, stride: ci.strideDepth, before: p.front, after: p.back, dilation: ci.dilationDepth },
    ...conv2dAxes(ci as unknown as backend_util.Conv2DInfo),
  ];
}

export const conv2dGeometry = (ci: backend_util.Conv2DInfo, act: Activation = 0): Int32Array =>
  pack(ci.batchSize, ci.inChannels, ci.outChannels, conv2dAxes(ci), act);

/** A depthwise convolution is a grouped one with a group per input channel. */
export const depthwiseGeometry = (ci: backend_util.Conv2DInfo, act: Activation = 0): Int32Array =>
  pack(ci.batchSize, ci.inChannels, ci.outChannels, conv2dAxes(ci), act, ci.inChannels);

export const conv3dGeometry = (ci: backend_util.Conv3DInfo): Int32Array =>
  pack(ci.batchSize, ci.inChannels, ci.outChannels, conv3dAxes(ci));

/** Pooling keeps the channel count; dilation of tfjs pooling is 1 in every MedStudio use but is passed on. */
export const pool2dGeometry = (ci: backend_util.Conv2DInfo): Int32Array => pack(ci.batchSize, ci.inChannels, ci.inChannels, conv2dAxes(ci));
export const pool3dGeometry = (ci: backend_util.Conv3DInfo): Int32Array => pack(ci.batchSize, ci.inChannels, ci.inChannels, conv3dAxes(ci));
