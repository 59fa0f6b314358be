/**
 * A segment2d run's saved model (model/segmenter.json + weights, format `medstudio-unet2d`) and
 * what it predicts: class probabilities at the input size and label maps at an image's own size.
 * Used by evaluation, `medstudio explain`, and CARE's boxes from a segmentation run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toModelInput, type RawImage } from '../../data/datasets/preprocess';
import { Unet2d, type Unet2dConfig } from '../../networks/unet2d';
import { ParamStore } from '../../networks/vit3dParams';
import { restoreParams, saveParams } from '../../networks/vit3dWeights';
import { keepLargestComponent } from '../../transforms/largestComponent';
import { resizeLinear } from '../../transforms/resample';

export const UNET2D_FORMAT = 'medstudio-unet2d';
export const SEGMENT2D_MODEL_DIR = 'model';
const BASE = 'segmenter';

export interface Segment2dMeta {
  unet: Unet2dConfig;
  inputSize: number;
  classes: string[];
  /** Keep only each class's largest connected component (unet.largestComponent). */
  largestComponent: boolean;
  runId?: string;
}

export interface Segment2dModel {
  net: Unet2d;
  meta: Segment2dMeta;
  dispose(): void;
}

export function segment2dModelFile(runDir: string): string {
  return path.join(runDir, SEGMENT2D_MODEL_DIR, `${BASE}.json`);
}

export async function saveSegment2dModel(runDir: string, meta: Segment2dMeta, ps: ParamStore): Promise<string> {
  return saveParams(path.join(runDir, SEGMENT2D_MODEL_DIR), BASE, UNET2D_FORMAT, meta, ps.entries());
}

/** Opens a segment2d run's model; says plainly when the folder holds something else. */
export function loadSegment2dModel(runDir: string): Segment2dModel {
  const file = segment2dModelFile(runDir);
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a finished segment2d run: it has no ${path.relative(runDir, file)} (train one with method: segment2d)`);
  const { topology: meta, ps, built: net } = restoreParams<Segment2dMeta, Unet2d>(file, UNET2D_FORMAT, 1, (m, store) => new Unet2d(m.unet, store));
  return { net, meta, dispose: () => ps.dispose() };
}

/** Class probabilities [n][S*S*K] at the input size, for model inputs [n][S*S*C]. */
export async function predictProbabilities(m: Segment2dModel, inputs: Float32Array[], batchSize = 8): Promise<Float32Array[]> {
  const S = m.meta.inputSize;
  const C = m.meta.unet.channels;
  const out: Float32Array[] = [];
  for (let b = 0; b < inputs.length; b += batchSize) {
    const chunk = inputs.slice(b, b + batchSize);
    const xb = new Float32Array(chunk.length * S * S * C);
    chunk.forEach((im, i) => xb.set(im, i * S * S * C));
    const p = tf.tidy(() => m.net.probabilities(tf.tensor4d(xb, [chunk.length, S, S, C])));
    const d = await readFloats(p).finally(() => p.dispose());
    const per = S * S * m.meta.classes.length;
    for (let i = 0; i < chunk.length; i++) out.push(d.slice(i * per, (i + 1) * per));
  }
  return out;
}

/** Foreground probability (1 - P(background)) of each pixel of a [S*S*K] map. */
export function foregroundMap(probs: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(probs.length / classes);
  for (let p = 0; p < out.length; p++) out[p] = 1 - probs[p * classes]!;
  return out;
}

/** Argmax labels of probabilities [S*S*K] resized (linear) to width x height, optionally only each class's largest component. */
export function labelsAtSize(probs: Float32Array, size: number, classes: number, width: number, height: number, largestComponent = false): Int32Array {
  const big = width === size && height === size ? probs : resizeLinear({ data: probs, shape: [1, size, size], channels: classes }, [1, height, width]).data;
  const out = new Int32Array(width * height);
  for (let p = 0; p < out.length; p++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (big[p * classes + k]! > big[p * classes + best]!) best = k;
    out[p] = best;
  }
  return largestComponent ? keepLargestComponent(out, [1, height, width], classes) : out;
}

/** The model input for a decoded image. */
export function modelInputOf(m: Segment2dModel, img: RawImage, what: string): Float32Array {
  return toModelInput(img, { spatialDims: 2, size: m.meta.inputSize, channels: m.meta.unet.channels as 1 | 3, intensity: 'auto' }, what);
}
