/**
 * 3D convolution and its gradients as 2D convolutions (XNNPACK) — stock wasm Conv3D is a naive
 * loop. The depth taps become channels: X'[n*Do+z, h, w, a*C+c] = xpad[n, z*sd + a*dd, h, w, c],
 * the filter [kd,kh,kw,C,Co] becomes [kh,kw,kd*C,Co], and one 2D convolution over X' is the 3D
 * one. The gradients reuse the 2D gradient formulations on X'; the input gradient sums the kd
 * depth taps back (depthTaps.ts).
 */
import {
  backend_util,
  Conv3D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convFilterGrad } from './convFilterGrad';
import { convInputGrad } from './convInputGrad';
import { stackDepthTaps, unstackDepthTaps, type DepthTaps } from './depthTaps';
import { withOps, type WasmOps } from './wasmOps';

interface Conv3DAttrs {
  strides: number | [number, number, number];
  pad: 'valid' | 'same';
  dilations?: number | [number, number, number];
  dataFormat?: 'NDHWC' | 'NCDHW';
  inputShape?: number[];
  filterShape?: number[];
}

function info(xShape: number[], fShape: number[], a: Conv3DAttrs): backend_util.Conv3DInfo {
  if (a.dataFormat === 'NCDHW') throw new Error('MedStudio wasm conv3d supports NDHWC only');
  return backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    fShape as [number, number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
  );
}

function taps(ci: backend_util.Conv3DInfo): DepthTaps {
  return { taps: ci.filterDepth, stride: ci.strideDepth, dilation: ci.dilationDepth, front: ci.padInfo.front, outDepth: ci.outDepth };
}

/** x [N,D,H,W,C] -> X' [N*Do, H, W, kd*C]. */
function depthStack(ops: WasmOps, x: TensorInfo, ci: backend_util.Conv3DInfo): TensorInfo {
  const [n, d, h, w, c] = x.shape as [number, number, number, number, number];
  if (ci.filterDepth === 1 && ci.strideDepth === 1 && ci.padInfo.front === 0 && ci.outDepth === d) return ops.reshape(x, [n * d, h, w, c]);
  return ops.adopt(stackDepthTaps(ops.backend, x, taps(ci)));
}

/** [kd,kh,kw,C,Co] -> [kh,kw,kd*C,Co]. */
function filter2d(ops: WasmOps, f: TensorInfo): TensorInfo {
  const [kd, kh, kw, c, co] = f.shape as [number, number, number, number, number];
  return ops.reshape(ops.transpose(f, [1, 2, 0, 3, 4]), [kh, kw, kd * c, co]);
}

const pads2d = (ci: backend_util.Conv3DInfo): number[][] => [
  [0, 0],
  [ci.padInfo.top, ci.padInfo.bottom],
  [ci.padInfo.left, ci.padInfo.right],
  [0, 0],
];

export const conv3DConfig: KernelConfig = {
  kernelName: Conv3D,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const ci = info(x.shape, filter.shape, attrs as unknown as Conv3DAttrs);
    return withOps(backend, [x, filter], (ops) => {
      // tfjs's 3D 'same' padding can be negative (an offset): crop for it, pad the rest.
      const p = pads2d(ci);
      const xs = ops.padOrCrop(depthStack(ops, x, ci), p.map(([a, b]) => [Math.min(0, a!), Math.min(0, b!)] as [number, number]));
      const y = ops.run('Conv2D', { x: xs, filter: filter2d(ops, filter) }, {
        strides: [ci.strideHeight, ci.strideWidth],
        pad: p.map(([a, b]) => [Math.max(0, a!), Math.max(0, b!)]),
        dataFormat: 'NHWC',
        dilations: [ci.dilationHeight, ci.dilationWidth],
        dimRoundingMode: undefined,
      });
      return ops.reshape(y, ci.outShape);
    });
  },
};

export const conv3DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv3DBackpropFilterV2,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Conv3DAttrs;
    const ci = info(x.shape, a.filterShape!, a);
    const [kd, kh, kw, c, co] = a.filterShape as [number, number, number, number, number];
    return withOps(backend, [x, dy], (ops) => {
      const dy2 = ops.reshape(dy, [ci.batchSize * ci.outDepth, ci.outHeight, ci.outWidth, co]);
      const g = convFilterGrad(ops, depthStack(ops, x, ci), dy2, {
        taps: [kh, kw],
        strides: [ci.strideHeight, ci.strideWidth],
        dilations: [ci.dilationHeight, ci.dilationWidth],
        padTop: ci.padInfo.top,
        padLeft: ci.padInfo.left,
      });
      return ops.transpose(ops.reshape(g, [kh, kw, kd, c, co]), [2, 0, 1, 3, 4]);
    });
  },
};

export const conv3DBackpropInputConfig: KernelConfig = {
  kernelName: Conv3DBackpropInputV2,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Conv3DAttrs;
    const ci = info(a.inputShape!, filter.shape, a);
    const [n, , h, w] = a.inputShape as [number, number, number, number, number];
    const [, kh, kw, , co] = filter.shape as [number, number, number, number, number];
    const od = ci.outDepth;
    return withOps(backend, [dy, filter], (ops) => {
      const dy2 = ops.reshape(dy, [n * od, ci.outHeight, ci.outWidth, co]);
      const dX = convInputGrad(
        ops,
        'conv',
        dy2,
        filter2d(ops, filter),
        { inLen: h, outLen: ci.outHeight, taps: kh, stride: ci.strideHeight, dilation: ci.dilationHeight, padBefore: ci.padInfo.top },
        { inLen: w, outLen: ci.outWidth, taps: kw, stride: ci.strideWidth, dilation: ci.dilationWidth, padBefore: ci.padInfo.left },
      );
      // dX[n*od+z, h, w, a*C+c] belongs to depth z*sd + a*dd - front: sum the kd taps back.
      return ops.adopt(unstackDepthTaps(ops.backend, dX, a.inputShape!, taps(ci)));
    });
  },
};
