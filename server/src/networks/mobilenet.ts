/**
 * A lightweight MobileNet-style 2D encoder (depthwise-separable convolutions, MobileNet v1
 * layout scaled down): image [B, S, S, C] -> pooled feature [B, D]. Used as DisCo's student.
 *
 * Layer names are stable and follow networks/resnet.ts where they can (`<prefix>image`,
 * `<prefix>stem_conv`, `<prefix>b3_dw`, ..., `<prefix>features` = the last block's activation,
 * Grad-CAM's layer, `<prefix>pool`, `<prefix>logits`): a saved encoder reloads by name, and a
 * CARE/supervised classifier built with buildMobileNetClassifier initialises from it (`init:`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { stemStride } from './resnet';
import { batchNormalization } from './batchNorm';

export interface MobileNetOptions {
  inputSize: number;
  channels: number;
  /** Channels after the stem; doubles at each of the three stride-2 stages. */
  width: number;
  /** Depthwise-separable blocks per stage (the first one strides). */
  depth: number;
  /** Prefix for every layer name (the key encoder uses a different one from the query encoder). */
  prefix?: string;
  /** Seed for the kernel initialisers (a run is reproducible). */
  seed?: number;
}

/**
 * Stride-2 stages after the stem. The stem strides like ResNet's (networks/resnet.ts: only from
 * 96 px), so 32 px inputs end at 4x4 maps and 64 px at 8x8.
 */
const STAGES = 3;

export function buildMobileNetEncoder(o: MobileNetOptions): tfl.LayersModel {
  const p = o.prefix ?? '';
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  const pooled = tfl.layers.globalAveragePooling2d({ name: `${p}pool` }).apply(mobileNetTrunk(input, o)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled, name: `${p}mobilenet` });
}

/**
 * A classifier with the same layer names, outputs [features, logits] like ResNet's classifier
 * (networks/resnet.ts wrapClassifier works on it): what a fine-tuning run of a DisCo student builds.
 */
export function buildMobileNetClassifier(o: MobileNetOptions & { numClasses: number }): tfl.LayersModel {
  const p = o.prefix ?? '';
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  const features = mobileNetTrunk(input, o);
  const pooled = tfl.layers.globalAveragePooling2d({ name: `${p}pool` }).apply(features) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: o.numClasses, name: `${p}logits`, kernelInitializer: tfl.initializers.glorotUniform({ seed: (o.seed ?? 1) + 10007 }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [features, logits], name: `${p}mobilenet_classifier` });
}

/** image -> the last block's activation (named `<prefix>features`). */
export function mobileNetTrunk(input: tfl.SymbolicTensor, o: MobileNetOptions): tfl.SymbolicTensor {
  const p = o.prefix ?? '';
  let seed = o.seed ?? 1;
  const init = () => tfl.initializers.heNormal({ seed: seed++ });
  const bnRelu = (x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor => {
    const bn = batchNormalization({ name: `${name}_bn`, momentum: 0.9 }).apply(x) as tfl.SymbolicTensor;
    return tfl.layers.reLU({ maxValue: 6, name: `${name}_relu` }).apply(bn) as tfl.SymbolicTensor;
  };
  let x = tfl.layers
    .conv2d({ filters: o.width, kernelSize: 3, strides: stemStride(o.inputSize), padding: 'same', useBias: false, kernelInitializer: init(), name: `${p}stem_conv` })
    .apply(input) as tfl.SymbolicTensor;
  x = bnRelu(x, `${p}stem`);
  let filters = o.width;
  let block = 0;
  for (let stage = 0; stage < STAGES; stage++) {
    filters *= 2;
    for (let i = 0; i < o.depth; i++) {
      const name = `${p}b${block++}`;
      x = tfl.layers
        .depthwiseConv2d({ kernelSize: 3, strides: i === 0 ? 2 : 1, padding: 'same', useBias: false, depthwiseInitializer: init(), name: `${name}_dw` })
        .apply(x) as tfl.SymbolicTensor;
      x = bnRelu(x, `${name}_dw`);
      x = tfl.layers
        .conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: init(), name: `${name}_pw` })
        .apply(x) as tfl.SymbolicTensor;
      x = bnRelu(x, `${name}_pw`);
    }
  }
  // An identity layer with a fixed name, so tools find Grad-CAM's layer whatever the depth.
  return tfl.layers.activation({ activation: 'linear', name: `${p}features` }).apply(x) as tfl.SymbolicTensor;
}

/** Feature width of the encoder built with these options. */
export function mobileNetFeatureDim(o: Pick<MobileNetOptions, 'width'>): number {
  return o.width * 2 ** STAGES;
}
