/**
 * Native (oneDNN) versions of the heavy training kernels on the wasm backend: 2D/3D and
 * depthwise (grouped) convolutions with their data and filter gradients, the fused forms with
 * bias and relu/relu6, and 2D/3D max pooling with gradients. They read and write the wasm heap in place. Anything outside
 * what they cover (NCHW, other activations, PReLU, non-float32, empty tensors) goes to the kernel
 * that was registered before them, so overriding is always safe.
 */
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Conv3D,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedDepthwiseConv2D,
  Conv3DBackpropFilterV2,
  Conv3DBackpropInputV2,
  FusedConv2D,
  MaxPool,
  MaxPool3D,
  MaxPool3DGrad,
  MaxPoolGrad,
  util,
  type KernelConfig,
  type NamedAttrMap,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../kernels/wasmOps';
import { conv2dGeometry, conv3dGeometry, depthwiseGeometry, pool2dGeometry, pool3dGeometry, type Activation } from './geometry';
import type { NativeAddon } from './loadNative';
import { ELEMENTWISE_BODIES, outputs, runNative, type Body, type Call } from './nativeElementwise';

type Stride2 = number | [number, number];
type Stride3 = number | [number, number, number];
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;


const f32 = (b: WasmBackend, t: TensorInfo): Float32Array => b.typedArrayFromHeap(t) as Float32Array;
const allFloat = (...ts: (TensorInfo | undefined)[]): boolean => ts.every((t) => t && t.dtype === 'float32' && util.sizeFromShape(t.shape) > 0);


const ACTIVATIONS: Record<string, Activation | undefined> = { linear: 0, relu: 1, relu6: 2 };

const conv2d: Body = (addon, { inputs, attrs, backend }) => {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const act = ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
  if (!allFloat(x, filter) || act === undefined || preluActivationWeights || attrs.dataFormat === 'NCHW') return undefined;
  if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== filter!.shape[3])) return undefined;
  const ci = backend_util.computeConv2DInfo(
    x!.shape as [number, number, number, number],
    filter!.shape as [number, number, number, number],
    attrs.strides as Stride2,
    (attrs.dilations as Stride2 | undefined) ?? 1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const [y] = outputs(backend, ci.outShape);
  addon.conv(0, conv2dGeometry(ci, act), f32(backend, x!), f32(backend, filter!), f32(backend, y!), bias ? f32(backend, bias) : null);
  return y;
};

const conv2dBackpropInput: Body = (addon, { inputs, attrs, backend }) => {
  const { dy, filter } = inputs;
  if (!allFloat(dy, filter) || attrs.dataFormat === 'NCHW') return undefined;
  const inShape = attrs.inputShape as [number, number, number, number];
  const ci = backend_util.computeConv2DInfo(inShape, filter!.shape as [number, number, number, number], attrs.strides as Stride2, 1, attrs.pad as Pad, attrs.dimRoundingMode as 'floor' | undefined);
  const [dx] = outputs(backend, inShape);
  addon.conv(1, conv2dGeometry(ci), f32(backend, dx!), f32(backend, filter!), f32(backend, dy!), null);
  return dx;
};

const conv2dBackpropFilter: Body = (addon, { inputs, attrs, backend }) => {
  const { x, dy } = inputs;
  if (!allFloat(x, dy) || attrs.dataFormat === 'NCHW') return undefined;
  const fShape = attrs.filterShape as [number, number, number, number];
  const ci = backend_util.computeConv2DInfo(x!.shape as [number, number, number, number], fShape, attrs.strides as Stride2, 1, attrs.pad as Pad, attrs.dimRoundingMode as 'floor' | undefined);
  const [dw] = outputs(backend, fShape);
  addon.conv(2, conv2dGeometry(ci), f32(backend, x!), f32(backend, dw!), f32(backend, dy!), null);
  return dw;
};

function depthwiseInfo(xShape: number[], fShape: number[], attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs.strides as Stride2,
    (attrs.dilations as Stride2 | undefined) ?? 1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as 'floor' | undefined,
    true,
  );
}

const depthwise: Body = (addon, { inputs, attrs, backend }) => {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const act = ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
  if (!allFloat(x, filter) || act === undefined || preluActivationWeights || attrs.dataFormat === 'NCHW') return undefined;
  const ci = depthwiseInfo(x!.shape, filter!.shape, attrs);
  if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== ci.outChannels)) return undefined;
  const [y] = outputs(backend, ci.outShape);
  addon.conv(0, depthwiseGeometry(ci, act), f32(backend, x!), f32(backend, filter!), f32(backend, y!), bias ? f32(backend, bias) : null);
  return y;
};

const depthwiseBackpropInput: Body = (addon, { inputs, attrs, backend }) => {
  const { dy, filter } = inputs;
  if (!allFloat(dy, filter) || attrs.dataFormat === 'NCHW') return undefined;
  const inShape = attrs.inputShape as number[];
  const ci = depthwiseInfo(inShape, filter!.shape, attrs);
  const [dx] = outputs(backend, inShape);
  addon.conv(1, depthwiseGeometry(ci), f32(backend, dx!), f32(backend, filter!), f32(backend, dy!), null);
  return dx;
};

const depthwiseBackpropFilter: Body = (addon, { inputs, attrs, backend }) => {
  const { x, dy } = inputs;
  if (!allFloat(x, dy) || attrs.dataFormat === 'NCHW') return undefined;
  const fShape = attrs.filterShape as number[];
  const ci = depthwiseInfo(x!.shape, fShape, attrs);
  const [dw] = outputs(backend, fShape);
  addon.conv(2, depthwiseGeometry(ci), f32(backend, x!), f32(backend, dw!), f32(backend, dy!), null);
  return dw;
};

type Shape5 = [number, number, number, number, number];

const conv3d: Body = (addon, { inputs, attrs, backend }) => {
  const { x, filter } = inputs;
  if (!allFloat(x, filter) || attrs.dataFormat === 'NCDHW') return undefined;
  const ci = backend_util.computeConv3DInfo(x!.shape as Shape5, filter!.shape as Shape5, attrs.strides as Stride3, (attrs.dilations as Stride3 | undefined) ?? 1, attrs.pad as 'valid' | 'same');
  const [y] = outputs(backend, ci.outShape);
  addon.conv(0, conv3dGeometry(ci), f32(backend, x!), f32(backend, filter!), f32(backend, y!), null);
  return y;
};

const conv3dBackpropInput: Body = (addon, { inputs, attrs, backend }) => {
  const { dy, filter } = inputs;
  if (!allFloat(dy, filter)) return undefined;
  const inShape = attrs.inputShape as Shape5;
  const ci = backend_util.computeConv3DInfo(inShape, filter!.shape as Shape5, attrs.strides as Stride3, 1, attrs.pad as 'valid' | 'same');
  const [dx] = outputs(backend, inShape);
  addon.conv(1, conv3dGeometry(ci), f32(backend, dx!), f32(backend, filter!), f32(backend, dy!), null);
  return dx;
};

const conv3dBackpropFilter: Body = (addon, { inputs, attrs, backend }) => {
  const { x, dy } = inputs;
  if (!allFloat(x, dy)) return undefined;
  const fShape = attrs.filterShape as Shape5;
  const ci = backend_util.computeConv3DInfo(x!.shape as Shape5, fShape, attrs.strides as Stride3, 1, attrs.pad as 'valid' | 'same');
  const [dw] = outputs(backend, fShape);
  addon.conv(2, conv3dGeometry(ci), f32(backend, x!), f32(backend, dw!), f32(backend, dy!), null);
  return dw;
};

function pool2dInfo(x: TensorInfo, attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize as Stride2, attrs.strides as Stride2, 1, attrs.pad as Pad, attrs.dimRoundingMode as 'floor' | undefined);
}

function pool3dInfo(x: TensorInfo, attrs: NamedAttrMap): backend_util.Conv3DInfo {
  return backend_util.computePool3DInfo(x.shape as Shape5, attrs.filterSize as Stride3, attrs.strides as Stride3, 1, attrs.pad as 'valid' | 'same', attrs.dimRoundingMode as 'floor' | undefined);
}

const maxPool: Body = (addon, { inputs, attrs, backend }) => {
  const { x } = inputs;
  if (!allFloat(x)) return undefined;
  const ci = pool2dInfo(x!, attrs);
  if (ci.dilationHeight !== 1 || ci.dilationWidth !== 1) return undefined;
  const [y] = outputs(backend, ci.outShape);
  addon.maxPool(pool2dGeometry(ci), f32(backend, x!), f32(backend, y!), null, null);
  return y;
};

/** The gradient recomputes the forward pass into a scratch output (for oneDNN's argmax workspace). */
function poolGrad(addon: NativeAddon, backend: WasmBackend, geometry: Int32Array, x: TensorInfo, dy: TensorInfo, outShape: number[]): TensorInfo {
  const [dx, y] = outputs(backend, x.shape, outShape);
  addon.maxPool(geometry, f32(backend, x), f32(backend, y!), f32(backend, dy), f32(backend, dx!));
  backend.disposeData(y!.dataId);
  return dx!;
}

const maxPoolGrad: Body = (addon, { inputs, attrs, backend }) => {
  const { dy, input } = inputs;
  if (!allFloat(dy, input)) return undefined;
  const ci = pool2dInfo(input!, attrs);
  if (ci.dilationHeight !== 1 || ci.dilationWidth !== 1) return undefined;
  return poolGrad(addon, backend, pool2dGeometry(ci), input!, dy!, ci.outShape);
};

const maxPool3d: Body = (addon, { inputs, attrs, backend }) => {
  const { x } = inputs;
  if (!allFloat(x) || (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NDHWC')) return undefined;
  const ci = pool3dInfo(x!, attrs);
  const [y] = outputs(backend, ci.outShape);
  addon.maxPool(pool3dGeometry(ci), f32(backend, x!), f32(backend, y!), null, null);
  return y;
};

const maxPool3dGrad: Body = (addon, { inputs, attrs, backend }) => {
  const { dy, input } = inputs;
  if (!allFloat(dy, input)) return undefined;
  const ci = pool3dInfo(input!, attrs);
  return poolGrad(addon, backend, pool3dGeometry(ci), input!, dy!, ci.outShape);
};

const BODIES: [string, Body][] = [
  [Conv2D, conv2d],
  [FusedConv2D, conv2d],
  [Conv2DBackpropInput, conv2dBackpropInput],
  [Conv2DBackpropFilter, conv2dBackpropFilter],
  [DepthwiseConv2dNative, depthwise],
  [FusedDepthwiseConv2D, depthwise],
  [DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
  [Conv3D, conv3d],
  [Conv3DBackpropInputV2, conv3dBackpropInput],
  [Conv3DBackpropFilterV2, conv3dBackpropFilter],
  [MaxPool, maxPool],
  [MaxPoolGrad, maxPoolGrad],
  [MaxPool3D, maxPool3d],
  [MaxPool3DGrad, maxPool3dGrad],
  ...ELEMENTWISE_BODIES,
];

export const NATIVE_KERNEL_NAMES = BODIES.map(([name]) => name);

/** Configs for the wasm backend; `previous(name)` is the kernel each one falls back to. */
export function nativeKernelConfigs(addon: NativeAddon, previous: (name: string) => KernelFunc): KernelConfig[] {
  return BODIES.map(([kernelName, body]) => ({
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) =>
      runNative(kernelName, () => body(addon, { ...args, attrs: args.attrs ?? {} } as unknown as Call), args.backend as WasmBackend) ??
      (previous(kernelName)(args) as TensorInfo),
  }));
}
