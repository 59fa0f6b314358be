/**
 * The stock XNNPACK-backed convolution kernels, re-registered with two fixes:
 *  - 'same' padding is handed over as explicit pads computed the tfjs way: with XNNPACK's own
 *    TF-SAME flag, a window smaller than the stride on an input that does not divide evenly
 *    (e.g. 9 wide, kernel 2, stride 3) comes out shifted (found by gradcheck);
 *  - the weight-cache alias guard (weightAliasGuard.ts).
 */
import { backend_util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { guarded } from './weightAliasGuard';

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/** 'same' as explicit [[0,0],[top,bottom],[left,right],[0,0]] pads, as tfjs computes them. */
export function explicitSame(x: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap, depthwise: boolean): NamedAttrMap {
  if ((attrs.pad as Pad) !== 'same' || attrs.dataFormat === 'NCHW') return attrs;
  const ci = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    'same',
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
  );
  const p = ci.padInfo;
  return { ...attrs, pad: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]] };
}

const DEPTHWISE = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2D']);

export function fixedConv(name: string, fn: KernelFunc): KernelFunc {
  const inner = guarded(name, fn);
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    return inner({ ...args, attrs: explicitSame(x, filter, args.attrs ?? {}, DEPTHWISE.has(name)) });
  };
}

export function fixedConvConfigs(stock: (name: string) => KernelFunc): KernelConfig[] {
  return ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'].map((name) => ({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => fixedConv(name, stock(name))(args),
  }));
}
