/** An encoder plus its MLP projection head, and the L2-normalised embedding they produce. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildProjectionHead, l2normalize } from '../../networks/projection';
import { buildEncoder, type EncoderSpec } from './encoders';

export interface ContrastiveNet {
  encoder: tfl.LayersModel;
  head: tfl.LayersModel;
}

export interface NetSpec extends EncoderSpec {
  /** Hidden width of the MLP head (MoCo-v2: the feature width; DisCo: enlarged). */
  hidden?: number;
  projectionDim: number;
}

export function buildContrastiveNet(spec: NetSpec, prefix: string, seed: number): ContrastiveNet {
  const enc = buildEncoder(spec, prefix, seed);
  const head = buildProjectionHead({ inDim: enc.featureDim, hidden: spec.hidden ?? enc.featureDim, outDim: spec.projectionDim, prefix, seed: seed + 1000 });
  return { encoder: enc.model, head };
}

/** Unit-norm embedding [B, projectionDim]. training=true uses (and updates) BatchNorm batch statistics. */
export function embed(net: ContrastiveNet, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const f = net.encoder.apply(x, { training }) as tf.Tensor2D;
    return l2normalize(net.head.apply(f, { training }) as tf.Tensor2D);
  });
}

export function disposeNet(net: ContrastiveNet): void {
  net.encoder.dispose();
  net.head.dispose();
}

export function countParams(net: ContrastiveNet): { encoder: number; head: number } {
  return { encoder: net.encoder.countParams(), head: net.head.countParams() };
}
