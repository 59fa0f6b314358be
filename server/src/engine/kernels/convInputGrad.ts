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
  const parts: Part[] = [];
  for (const py of phases(rows)) {
    for (const px of phases(cols)) {
      if (py.taps === 0 || px.taps === 0) continue; // no filter taps: these rows get no gradient
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
      parts.push({ ry: py.r, rx: px.r, t: forward(ops, kind, dy, backwardFilter(ops, kind, sub), pads, [1, 1]) });
    }
  }
  return ops.adopt(interleave(ops, parts, [n, rows.inLen, cols.inLen, outCh], rows, cols));
}

interface Part {
  ry: number;
  rx: number;
  /** [N, mRows, mCols, C]: dx at padded rows m*sy+ry, columns q*sx+rx. */
  t: TensorInfo;
}

/** Writes every phase into its rows and columns of dx (zeros elsewhere), dropping the pad. */
function interleave(ops: WasmOps, parts: Part[], shape: [number, number, number, number], rows: AxisGeometry, cols: AxisGeometry): TensorInfo {
  const [n, h, w, c] = shape;
  const out = ops.backend.makeOutput(shape, 'float32');
  const dst = ops.backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  for (const { ry, rx, t } of parts) {
    const [, mr, mc] = t.shape as [number, number, number, number];
    const src = ops.backend.typedArrayFromHeap(t) as Float32Array;
    for (let b = 0; b < n; b++) {
      for (let m = 0; m < mr; m++) {
        const y = m * rows.stride + ry - rows.padBefore;
        if (y < 0 || y >= h) continue;
        for (let q = 0; q < mc; q++) {
          const x = q * cols.stride + rx - cols.padBefore;
          if (x < 0 || x >= w) continue;
          const i = ((b * mr + m) * mc + q) * c;
          dst.set(src.subarray(i, i + c), ((b * h + y) * w + x) * c);
        }
      }
    }
  }
  return out;
}
