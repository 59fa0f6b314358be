/**
 * Native (oneDNN) versions of the heavy training kernels on the wasm backend: 2D/3D and
 * depthwise (grouped) convolutions with their data and filter gradients, the fused forms with
 * bias and relu/relu6, matrix products, and 2D/3D max pooling with gradients. They read and
 * write the wasm heap in place. Anything outside what they cover (channels-first, other activations, PReLU,
 * non-float32, empty tensors) goes to the kernel registered before them, so overriding is safe.
 */
import {
  _FusedMatMul,
  backend_util,
  BatchMatMul,
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
import { heapF32 as f32, type WasmBackend } from '../kernels/wasmOps';
import { conv2dGeometry, conv3dGeometry, depthwiseGeometry, pool2dGeometry, pool3dGeometry, type Activation } from './geometry';
import type { NativeAddon } from './loadNative';
import { ELEMENTWISE_BODIES, outputs, runNative, type Body, type Call } from './nativeElementwise';

type Stride2 = number | [number, number];
type Stride3 = number | [number, number, number];
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

const allFloat = (...ts: (TensorInfo | undefined)[]): boolean => ts.every((t) => t && t.dtype === 'float32' && util.sizeFromShape(t.shape) > 0);

const ACTIVATIONS: Record<string, Activation | undefined> = { linear: 0, relu: 1, relu6: 2 };

type Shape4 = [number, number, number, number];
type Shape5 = [number, number, number, number, number];

/** What a convolution family gives the shared bodies: its output shape and packed geometry. */
type ConvInfo = (xShape: number[], fShape: number[], attrs: NamedAttrMap) => { outShape: number[]; geometry: (act?: Activation) => Int32Array };

// Gradient kernels carry no dilations attribute for 2D/3D (tfjs has no dilated gradients there):
// `?? 1` covers both them and the depthwise ones, which do.
const conv2dFamily: ConvInfo = (xs, fs, a) => {
  const ci = backend_util.computeConv2DInfo(xs as Shape4, fs as Shape4, a.strides as Stride2, (a.dilations as Stride2 | undefined) ?? 1, a.pad as Pad, a.dimRoundingMode as 'floor' | undefined);
  return { outShape: ci.outShape, geometry: (act) => conv2dGeometry(ci, act) };
};
const depthwiseFamily: ConvInfo = (xs, fs, a) => {
  const ci = backend_util.computeConv2DInfo(xs as Shape4, fs as Shape4, a.strides as Stride2, (a.dilations as Stride2 | undefined) ?? 1, a.pad as Pad, a.dimRoundingMode as 'floor' | undefined, true);
  return { outShape: ci.outShape, geometry: (act) => depthwiseGeometry(ci, act) };
};
const conv3dFamily: ConvInfo = (xs, fs, a) => {
  const ci = backend_util.computeConv3DInfo(xs as Shape5, fs as Shape5, a.strides as Stride3, (a.dilations as Stride3 | undefined) ?? 1, a.pad as 'valid' | 'same');
  return { outShape: ci.outShape, geometry: () => conv3dGeometry(ci) };
};

const channelsFirst = (attrs: NamedAttrMap): boolean => attrs.dataFormat === 'NCHW' || attrs.dataFormat === 'NCDHW';

/** Forward convolution, with the fused bias and relu/relu6 where the kernel has them. */
function convForward(family: ConvInfo): Body {
  return (addon, { inputs, attrs, backend }) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const act = ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
    if (!allFloat(x, filter) || act === undefined || preluActivationWeights || channelsFirst(attrs)) return undefined;
    const info = family(x!.shape, filter!.shape, attrs);
    if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== info.outShape[info.outShape.length - 1])) return undefined;
    const [y] = outputs(backend, info.outShape);
    addon.conv(0, info.geometry(act), f32(backend, x!), f32(backend, filter!), f32(backend, y!), bias ? f32(backend, bias) : null);
    return y;
  };
}

function convBackpropInput(family: ConvInfo): Body {
  return (addon, { inputs, attrs, backend }) => {
    const { dy, filter } = inputs;
    if (!allFloat(dy, filter) || channelsFirst(attrs)) return undefined;
    const inShape = attrs.inputShape as number[];
    const [dx] = outputs(backend, inShape);
    addon.conv(1, family(inShape, filter!.shape, attrs).geometry(), f32(backend, dx!), f32(backend, filter!), f32(backend, dy!), null);
    return dx;
  };
}

function convBackpropFilter(family: ConvInfo): Body {
  return (addon, { inputs, attrs, backend }) => {
    const { x, dy } = inputs;
    if (!allFloat(x, dy) || channelsFirst(attrs)) return undefined;
    const fShape = attrs.filterShape as number[];
    const [dw] = outputs(backend, fShape);
    addon.conv(2, family(x!.shape, fShape, attrs).geometry(), f32(backend, x!), f32(backend, dw!), f32(backend, dy!), null);
    return dw;
  };
}

/**
 * BatchMatMul and _FusedMatMul (bias of N values, relu/relu6): transposes become strides, a batch
 * of 1 on either side broadcasts; other broadcasts and activations go to the pack.
 */
const matMul: Body = (addon, { inputs, attrs, backend }) => {
  const { a, b, bias, preluActivationWeights } = inputs;
  const act = ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
  if (!allFloat(a, b) || act === undefined || preluActivationWeights || a!.shape.length < 2 || b!.shape.length < 2) return undefined;
  const ta = Boolean(attrs.transposeA);
  const tb = Boolean(attrs.transposeB);
  const [ra, rb] = [a!.shape.length, b!.shape.length];
  const m = a!.shape[ta ? ra - 1 : ra - 2]!;
  const k = a!.shape[ta ? ra - 2 : ra - 1]!;
  const n = b!.shape[tb ? rb - 2 : rb - 1]!;
  if (k !== b!.shape[tb ? rb - 1 : rb - 2]) return undefined;
  const [batchA, batchB] = [a!.shape.slice(0, -2), b!.shape.slice(0, -2)];
  const [sa, sb] = [util.sizeFromShape(batchA), util.sizeFromShape(batchB)];
  if (sa !== sb && sa !== 1 && sb !== 1) return undefined;
  if (sa === sb && sa > 1 && !util.arraysEqual(batchA, batchB)) return undefined;
  if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n)) return undefined;
  const outBatch = backend_util.assertAndGetBroadcastShape(batchA, batchB);
  const [c] = outputs(backend, [...outBatch, m, n]);
  const geometry = Int32Array.from([sa, sb, m, k, n, ta ? 1 : 0, tb ? 1 : 0, act, bias ? 1 : 0]);
  addon.matmul(geometry, f32(backend, a!), f32(backend, b!), f32(backend, c!), bias ? f32(backend, bias) : null);
  return c;
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
  [Conv2D, convForward(conv2dFamily)],
  [FusedConv2D, convForward(conv2dFamily)],
  [Conv2DBackpropInput, convBackpropInput(conv2dFamily)],
  [Conv2DBackpropFilter, convBackpropFilter(conv2dFamily)],
  [DepthwiseConv2dNative, convForward(depthwiseFamily)],
  [FusedDepthwiseConv2D, convForward(depthwiseFamily)],
  [DepthwiseConv2dNativeBackpropInput, convBackpropInput(depthwiseFamily)],
  [DepthwiseConv2dNativeBackpropFilter, convBackpropFilter(depthwiseFamily)],
  [Conv3D, convForward(conv3dFamily)],
  [Conv3DBackpropInputV2, convBackpropInput(conv3dFamily)],
  [Conv3DBackpropFilterV2, convBackpropFilter(conv3dFamily)],
  [BatchMatMul, matMul],
  [_FusedMatMul, matMul],
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
