/**
 * A small 2D ResNet-style encoder (basic residual blocks) for MoCo teachers and DisCo's
 * "small ResNet" student: image [B, S, S, C] -> pooled feature [B, D].
 *
 * Interim: the CARE engineer's networks/resnet.ts is the project's ResNet; MoCo/DisCo switch to
 * it once it lands (see methods/moco/encoders.ts, the only importer). Layer names are stable.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export interface ResNetEncoderOptions {
  inputSize: number;
  channels: number;
  /** Channels of the first stage; doubles at each later stage. */
  width: number;
  /** Residual blocks per stage. */
  depth: number;
  prefix?: string;
  seed?: number;
}

const STAGES = 3;

export function buildResNetEncoder(o: ResNetEncoderOptions): tfl.LayersModel {
  const p = o.prefix ?? '';
  let seed = o.seed ?? 1;
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, strides: number, name: string) =>
    tfl.layers
      .conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) =>
    tfl.layers.batchNormalization({ name, momentum: 0.9 }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: [o.inputSize, o.inputSize, o.channels], name: `${p}image` });
  // Stride-2 stem: at 64 px the first stage already works on 32x32 maps, which keeps CPU cost low.
  let x = relu(bn(conv(input, o.width, 3, 2, `${p}stem_conv`), `${p}stem_bn`), `${p}stem_relu`);
  let filters = o.width;
  for (let s = 0; s < STAGES; s++) {
    if (s > 0) filters *= 2;
    for (let b = 0; b < o.depth; b++) {
      const name = `${p}s${s}b${b}`;
      const strides = s > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, strides, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
      y = bn(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
      const shortcut = strides !== 1 || (x.shape[3] ?? 0) !== filters ? bn(conv(x, filters, 1, strides, `${name}_proj`), `${name}_proj_bn`) : x;
      x = relu(tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor, `${name}_out`);
    }
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: `${p}pool` }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled, name: `${p}resnet` });
}

export function resNetEncoderFeatureDim(o: Pick<ResNetEncoderOptions, 'width'>): number {
  return o.width * 2 ** (STAGES - 1);
}
