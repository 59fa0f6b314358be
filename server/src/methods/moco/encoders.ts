/**
 * The encoders MoCo and DisCo build, by name: `resnet` is the project's ResNet family
 * (networks/resnet.ts, shared with CARE, so a MoCo/DisCo encoder and a CARE classifier use the
 * same layer names), `mobilenet` the depthwise-separable student (networks/mobilenet.ts).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildMobileNetEncoder, mobileNetFeatureDim } from '../../networks/mobilenet';
import { buildResNetEncoder, featureChannels } from '../../networks/resnet';

export type EncoderKind = 'resnet' | 'mobilenet';

export interface EncoderSpec {
  kind: EncoderKind;
  inputSize: number;
  channels: number;
  width: number;
  depth: number;
}

export function buildEncoder(spec: EncoderSpec, prefix: string, seed: number): { model: tfl.LayersModel; featureDim: number } {
  const o = { ...spec, prefix, seed };
  return spec.kind === 'mobilenet'
    ? { model: buildMobileNetEncoder(o), featureDim: mobileNetFeatureDim(spec) }
    : { model: buildResNetEncoder(o), featureDim: featureChannels(spec) };
}
