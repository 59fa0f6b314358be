/**
 * MedStudio's training-kernel pack for the wasm backend. Stock tfjs-wasm 4.22 lacks the gradient
 * kernels a CNN needs and runs others as naive loops (issue 3); this registers fast, exact
 * replacements built on XNNPACK-backed kernels. Returns the names registered. Idempotent.
 *
 * Missing in stock wasm: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter/Input.
 * Replaced because slow: Conv2DBackpropInput, Conv3D, Conv3DBackpropFilterV2,
 * Conv3DBackpropInputV2 (naive loops), BatchMatMul/_FusedMatMul with a transposed operand,
 * Sum/Mean over leading axes (a full transpose first), Tile (element by element), Transpose of
 * rank 5+ (a slow generic path), Identity and same-dtype Cast (whole-buffer copies;
 * aliasKernels.ts makes them references).
 * Added: MedStudio's batch-norm training kernels (batchNormTrain.ts).
 * Replaced because wrong: MaxPoolGrad, MaxPool3D, MaxPool3DGrad, _FusedMatMul with bias on a
 * batch of matrices; StridedSlice of int32/bool (returned as float32 bit patterns); Conv2D/FusedConv2D/depthwise with 'same' padding when the window is
 * smaller than the stride, and the XNNPACK kernels' weight cache fooled by reshaped weights
 * (convStockFixes.ts, weightAliasGuard.ts).
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './conv2dKernels';
import { conv3DBackpropFilterConfig, conv3DBackpropInputConfig, conv3DConfig } from './conv3dKernels';
import { matMulConfigs } from './matMulKernels';
import { maxPool3DConfig, maxPool3DGradConfig, maxPoolGradConfig } from './maxPoolKernels';
import { reduceConfigs } from './reduceKernels';
import { tileConfig } from './tileKernel';
import { transposeConfig } from './transposeKernel';
import { rememberStock } from './wasmOps';
import { fixedConvConfigs } from './convStockFixes';
import { aliasConfigs } from './aliasKernels';
import { stridedSliceConfig } from './stridedSliceKernel';
import { batchNormTrainConfigs } from './batchNormTrain';
import { nativeKernelConfigs } from '../native/nativeKernels';
import type { NativeAddon } from '../native/loadNative';

const stockFns = new Map<string, KernelFunc>();

function stock(name: string): KernelFunc {
  const fn = stockFns.get(name);
  if (!fn) throw new Error(`stock wasm kernel ${name} was not captured`);
  return fn;
}

/** Every config in the pack, in registration order. */
export function trainingKernelConfigs(): KernelConfig[] {
  return [
    conv2DBackpropFilterConfig,
    conv2DBackpropInputConfig,
    depthwiseBackpropFilterConfig,
    depthwiseBackpropInputConfig,
    conv3DConfig,
    conv3DBackpropFilterConfig,
    conv3DBackpropInputConfig,
    ...matMulConfigs(stock),
    maxPoolGradConfig,
    maxPool3DGradConfig,
    maxPool3DConfig,
    ...fixedConvConfigs(stock),
    ...reduceConfigs(stock),
    tileConfig,
    transposeConfig(stock),
    ...aliasConfigs(stock),
    stridedSliceConfig(stock),
    ...batchNormTrainConfigs(),
  ];
}

let registered: string[] | undefined;

export function registerTrainingKernels(): string[] {
  if (registered) return registered;
  const names: string[] = [];
  for (const config of trainingKernelConfigs()) {
    const existing = getKernel(config.kernelName, 'wasm');
    let setupFunc = config.setupFunc;
    if (existing) {
      // Keep the stock kernel callable (wrappers and compositions use it) and its setup, so a
      // re-initialised backend still binds the stock wasm function.
      stockFns.set(config.kernelName, existing.kernelFunc);
      rememberStock(config.kernelName, existing.kernelFunc);
      setupFunc = existing.setupFunc;
      unregisterKernel(config.kernelName, 'wasm');
    }
    registerKernel({ ...config, setupFunc });
    names.push(config.kernelName);
  }
  registered = names;
  return names;
}

let nativeRegistered: string[] | undefined;

/**
 * Puts the native (oneDNN) kernels over the pack where the addon loaded; each keeps the kernel
 * it replaces as its fallback for the cases it does not cover. Call after registerTrainingKernels.
 */
export function registerNativeKernels(addon: NativeAddon): string[] {
  if (nativeRegistered) return nativeRegistered;
  const previous = new Map<string, KernelFunc>();
  for (const config of [...nativeKernelConfigs(addon, (name) => previous.get(name)!), ...batchNormTrainConfigs(addon)]) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (!existing) throw new Error(`native kernel ${config.kernelName} has nothing to fall back to`);
    previous.set(config.kernelName, existing.kernelFunc);
    unregisterKernel(config.kernelName, 'wasm');
    registerKernel({ ...config, setupFunc: existing.setupFunc });
  }
  nativeRegistered = [...previous.keys()];
  return nativeRegistered;
}
