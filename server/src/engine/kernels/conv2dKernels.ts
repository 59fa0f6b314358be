/** Kernel configs for 2D convolution gradients (regular and depthwise) on the wasm backend. */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convFilterGrad, depthwiseFilterGrad, type ConvWindow } from './convFilterGrad';
import { convInputGrad, type AxisGeometry } from './convInputGrad';
import { withOps, type WasmBackend } from './wasmOps';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

function convInfo(xShape: number[], fShape: number[], a: ConvAttrs, depthwise: boolean): backend_util.Conv2DInfo {
  if (a.dataFormat === 'NCHW') throw new Error('MedStudio wasm convolution gradients support NHWC only');
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
  );
}

function axes(ci: backend_util.Conv2DInfo): [AxisGeometry, AxisGeometry] {
  return [
    { inLen: ci.inHeight, outLen: ci.outHeight, taps: ci.filterHeight, stride: ci.strideHeight, dilation: ci.dilationHeight, padBefore: ci.padInfo.top },
    { inLen: ci.inWidth, outLen: ci.outWidth, taps: ci.filterWidth, stride: ci.strideWidth, dilation: ci.dilationWidth, padBefore: ci.padInfo.left },
  ];
}

function window(ci: backend_util.Conv2DInfo): ConvWindow {
  return {
    taps: [ci.filterHeight, ci.filterWidth],
    strides: [ci.strideHeight, ci.strideWidth],
    dilations: [ci.dilationHeight, ci.dilationWidth],
    padTop: ci.padInfo.top,
    padLeft: ci.padInfo.left,
  };
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs;
    const ci = convInfo(x.shape, a.filterShape!, a, false);
    return withOps(backend, [x, dy], (ops) => convFilterGrad(ops, x, dy, window(ci)));
  },
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs;
    const ci = convInfo(a.inputShape!, filter.shape, a, false);
    const [rows, cols] = axes(ci);
    return withOps(backend, [dy, filter], (ops) => convInputGrad(ops, 'conv', dy, filter, rows, cols));
  },
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs;
    const ci = convInfo(x.shape, a.filterShape!, a, true);
    return depthwiseFilterGrad(backend as WasmBackend, x, dy, window(ci), a.filterShape![3]);
  },
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs;
    const ci = convInfo(a.inputShape!, filter.shape, a, true);
    const [rows, cols] = axes(ci);
    const [kh, kw, c, m] = filter.shape as [number, number, number, number];
    return withOps(backend, [dy, filter], (ops) => {
      // Fold the channel multiplier into channels, then sum each input channel's M outputs.
      const f = ops.reshape(filter, [kh, kw, c * m, 1]);
      const dx = convInputGrad(ops, 'depthwise', dy, f, rows, cols);
      if (m === 1) return dx;
      const [n, h, w] = dx.shape as [number, number, number, number];
      return ops.run('Sum', { x: ops.reshape(dx, [n, h, w, c, m]) }, { axis: [4], keepDims: false });
    });
  },
};
