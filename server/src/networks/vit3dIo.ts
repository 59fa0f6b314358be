/**
 * A pretrained ViT encoder on disk: `<dir>/encoder.json` + `encoder.weights.bin` (weights-manifest
 * format, see vit3dWeights.ts) with the encoder's config as its topology. Loading into an
 * encoder of another input size interpolates the position embeddings trilinearly.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import type { Vit3dConfig } from './vit3dConfig';
import type { Vit3dEncoder } from './vit3d';
import { interpolatePosEmbed } from './vit3dPosEmbed';
import { loadParams, saveParams } from './vit3dWeights';

export const ENCODER_FORMAT = 'medstudio-vit3d-encoder';
export const ENCODER_FILE = 'encoder.json';

export interface EncoderTopology {
  encoder: Vit3dConfig;
  /** Which method trained it (glmae, segment, ...). */
  method: string;
  /** How inputs were scaled (the data loader's intensity option). */
  intensity: string;
}

/** Saves the encoder's parameters with names relative to its prefix ('patch/w', 'block0/...'). */
export async function saveEncoder(dir: string, enc: Vit3dEncoder, meta: Omit<EncoderTopology, 'encoder'>): Promise<string> {
  const cut = enc.prefix.length + 1;
  const tensors = enc.ps.entries(`${enc.prefix}/`).map(([k, v]) => [k.slice(cut), v] as [string, tf.Tensor]);
  return saveParams<EncoderTopology>(dir, 'encoder', ENCODER_FORMAT, { encoder: enc.config, ...meta }, tensors);
}

/** The saved encoder's config, without loading weights. */
export function readEncoderTopology(file: string): EncoderTopology {
  const { topology, tensors } = loadParams<EncoderTopology>(file, ENCODER_FORMAT);
  tf.dispose([...tensors.values()]);
  return topology;
}

/** `init: <run dir>` -> the encoder file inside it, with a clear error when there is none. */
export function encoderFileOfRun(runDir: string): string {
  return path.join(runDir, 'model', ENCODER_FILE);
}

/** Copies saved weights into `enc` (same architecture; position embeddings resampled to enc's grid). */
export function loadEncoderInto(enc: Vit3dEncoder, file: string): EncoderTopology {
  const { topology, tensors } = loadParams<EncoderTopology>(file, ENCODER_FORMAT);
  try {
    const saved = topology.encoder;
    const mine = enc.config;
    for (const k of ['patchSize', 'channels', 'embedDim', 'depth', 'heads', 'mlpRatio'] as const) {
      if (saved[k] !== mine[k]) throw new Error(`${file}: the saved encoder has ${k} ${saved[k]}, this network ${mine[k]}`);
    }
    const values = new Map<string, tf.Tensor>();
    for (const [k, v] of tensors) values.set(`${enc.prefix}/${k}`, v);
    const posKey = `${enc.prefix}/pos`;
    const g = saved.inputSize / saved.patchSize;
    const pos = values.get(posKey);
    if (pos && saved.inputSize !== mine.inputSize) {
      const resampled = interpolatePosEmbed(pos as tf.Tensor2D, [g, g, g], enc.baseGrid);
      tensors.set('__resampled_pos', resampled);
      values.set(posKey, resampled);
    }
    enc.ps.assignFrom(values, { prefix: `${enc.prefix}/`, strict: true });
    return topology;
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
