/**
 * The encoders MoCo and DisCo build, by name. The one place that knows which network module
 * backs `resnet` (see networks/contrastiveResnet.ts) and `mobilenet`.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildMobileNetEncoder, mobileNetFeatureDim } from '../../networks/mobilenet';
import { buildResNetEncoder, resNetEncoderFeatureDim } from '../../networks/contrastiveResnet';

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
    : { model: buildResNetEncoder(o), featureDim: resNetEncoderFeatureDim(spec) };
}
