/**
 * A lightweight MobileNet-style 2D encoder (depthwise-separable convolutions, MobileNet v1
 * layout scaled down): image [B, S, S, C] -> pooled feature [B, D]. Used as DisCo's student.
 *
 * Layer names are stable (`<prefix>stem_conv`, `<prefix>b3_dw`, ..., `<prefix>pool`): a saved
 * encoder reloads by name, and a CARE/supervised experiment can initialise from it (`init:`).
 */
import * as tfl from '@tensorflow/tfjs-layers';

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

/** Stride-2 stages after the stem; 3 keeps 4x4 maps at 64 px and 2x2 at 32 px. */
const STAGES = 3;

export function buildMobileNetEncoder(o: MobileNetOptions): tfl.LayersModel {
  const p = o.prefix ?? '';
  let seed = o.seed ?? 1;
  const init = () => tfl.initializers.heNormal({ seed: seed++ });
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  const bnRelu = (x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor => {
    const bn = tfl.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9 }).apply(x) as tfl.SymbolicTensor;
    return tfl.layers.reLU({ maxValue: 6, name: `${name}_relu` }).apply(bn) as tfl.SymbolicTensor;
  };
  let x = tfl.layers
    .conv2d({ filters: o.width, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(), name: `${p}stem_conv` })
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
  const pooled = tfl.layers.globalAveragePooling2d({ name: `${p}pool` }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled, name: `${p}mobilenet` });
}

/** Feature width of the encoder built with these options. */
export function mobileNetFeatureDim(o: Pick<MobileNetOptions, 'width'>): number {
  return o.width * 2 ** STAGES;
}
