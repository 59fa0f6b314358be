/**
 * The input gradient of a 2D convolution (regular or depthwise) as forward convolutions of dy,
 * so XNNPACK does the work. Stride 1: one convolution of dy with the spatially flipped filter.
 * Stride s > 1: the "sub-pixel" split — input rows whose (row + pad) mod s = r only receive the
 * filter taps r, r+s, r+2s, ..., so each of the s*s phases is a stride-1 convolution with a
 * smaller flipped filter, and the phases interleave into dx. Exact, and no multiplications by
 * inserted zeros (the naive zero-dilation of dy would do s*s times the work).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmOps } from './wasmOps';

export interface AxisGeometry {
  /** Input length (H or W), output length (Ho or Wo), filter taps, stride, dilation, pad before. */
  inLen: number;
  outLen: number;
  taps: number;
  stride: number;
  dilation: number;
  padBefore: number;
}

export type ConvKind = 'conv' | 'depthwise';

/**
 * dy [N,Ho,Wo,K] and a filter already laid out for the backward pass:
 *  - conv: filter [kh,kw,Ci,Co] (forward layout); the result is [N,H,W,Ci];
 *  - depthwise: filter [kh,kw,C*M,1] (multiplier folded into channels); result [N,H,W,C*M].
 */
export function convInputGrad(ops: WasmOps, kind: ConvKind, dy: TensorInfo, filter: TensorInfo, rows: AxisGeometry, cols: AxisGeometry): TensorInfo {
  if (rows.stride === 1 && cols.stride === 1) return strideOne(ops, kind, dy, filter, rows, cols);
  if (rows.dilation !== 1 || cols.dilation !== 1) throw new Error('input gradient with both stride and dilation > 1 is not supported');
  return byPhases(ops, kind, dy, filter, rows, cols);
}

/** Flips the spatial axes and, for a regular conv, swaps in/out channels. */
function backwardFilter(ops: WasmOps, kind: ConvKind, f: TensorInfo): TensorInfo {
  const flipped = f.shape[0] === 1 && f.shape[1] === 1 ? f : ops.run('Reverse', { x: f }, { dims: [0, 1] });
  return kind === 'conv' ? ops.transpose(flipped, [0, 1, 3, 2]) : flipped;
}

function forward(ops: WasmOps, kind: ConvKind, x: TensorInfo, f: TensorInfo, pads: [number, number][], dilations: [number, number]): TensorInfo {
  // Negative padding (a pad larger than the filter reach) becomes a crop of the input.
  const crop = pads.map(([a, b]) => [Math.min(0, a), Math.min(0, b)] as [number, number]);
  const xc = ops.padOrCrop(x, [[0, 0], crop[0]!, crop[1]!, [0, 0]]);
  const pad = [[0, 0], [Math.max(0, pads[0]![0]), Math.max(0, pads[0]![1])], [Math.max(0, pads[1]![0]), Math.max(0, pads[1]![1])], [0, 0]];
  return ops.run(kind === 'conv' ? 'Conv2D' : 'DepthwiseConv2dNative', { x: xc, filter: f }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations,
    dimRoundingMode: undefined,
  });
}

function strideOne(ops: WasmOps, kind: ConvKind, dy: TensorInfo, filter: TensorInfo, rows: AxisGeometry, cols: AxisGeometry): TensorInfo {
  const axisPads = (g: AxisGeometry): [number, number] => {
    const reach = (g.taps - 1) * g.dilation;
    const front = reach - g.padBefore;
    return [front, g.inLen + reach - front - g.outLen];
  };
  return forward(ops, kind, dy, backwardFilter(ops, kind, filter), [axisPads(rows), axisPads(cols)], [rows.dilation, cols.dilation]);
}

interface Phase {
  r: number;
  taps: number;
}

function phases(g: AxisGeometry): Phase[] {
  return Array.from({ length: g.stride }, (_, r) => ({ r, taps: r < g.taps ? Math.ceil((g.taps - r) / g.stride) : 0 }));
}

function byPhases(ops: WasmOps, kind: ConvKind, dy: TensorInfo, filter: TensorInfo, rows: AxisGeometry, cols: AxisGeometry): TensorInfo {
  const [n] = dy.shape as [number, number, number, number];
  const outCh = kind === 'conv' ? filter.shape[2]! : filter.shape[2]!;
  const mRows = Math.max(1, Math.ceil((rows.inLen + rows.padBefore) / rows.stride));
  const mCols = Math.max(1, Math.ceil((cols.inLen + cols.padBefore) / cols.stride));
  const parts: TensorInfo[] = [];
  for (const py of phases(rows)) {
    for (const px of phases(cols)) {
      if (py.taps === 0 || px.taps === 0) {
        parts.push(ops.zeros([n, mRows, mCols, outCh]));
        continue;
      }
      const sub = ops.run('StridedSlice', { x: filter }, {
        begin: [py.r, px.r, 0, 0],
        end: filter.shape,
        strides: [rows.stride, cols.stride, 1, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
      const pads: [number, number][] = [
        [py.taps - 1, mRows - rows.outLen],
        [px.taps - 1, mCols - cols.outLen],
      ];
      parts.push(forward(ops, kind, dy, backwardFilter(ops, kind, sub), pads, [1, 1]));
    }
  }
  // parts[ry*sx+rx][n, m, q, c] is dx_padded[n, m*sy+ry, q*sx+rx, c]: interleave, then drop the pad.
  const stacked = ops.reshape(ops.run('Pack', parts, { axis: 0 }), [rows.stride, cols.stride, n, mRows, mCols, outCh]);
  const woven = ops.reshape(ops.transpose(stacked, [2, 3, 0, 4, 1, 5]), [n, mRows * rows.stride, mCols * cols.stride, outCh]);
  // dx[y] = woven[y + pad]; a negative pad (tfjs's 3D 'same' can make one) shifts the other way.
  const edge = (g: AxisGeometry, m: number): [number, number] => [-g.padBefore, g.inLen + g.padBefore - m * g.stride];
  return ops.padOrCrop(woven, [[0, 0], edge(rows, mRows), edge(cols, mCols), [0, 0]]);
}
