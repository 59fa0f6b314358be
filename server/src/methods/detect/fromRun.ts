/**
 * A finished detection run applied to images the annotator shows: boxes for one image (the
 * annotator's "Suggest Boxes" with source `model`), and how unsure the detector is about each of
 * several images, for a simple active-learning queue (most uncertain first).
 *
 * Uncertainty of an image = 1 - |2 s - 1| for its highest heatmap score s: 1 when the detector is
 * on the fence (s = 0.5), 0 when it is sure there is (s = 1) or is not (s = 0) a lesion. MedStudio's
 * choice: the simplest least-confidence rule on the score a reviewer sees.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toModelInput } from '../../data/datasets';
import { readImage } from '../../data/readers';
import type { ScoredBox } from '../../metrics/detection';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { predictSamples, type DecodeSettings } from './predict';

interface DetectorMeta {
  kind: 'detector';
  inputSize: number;
  channels: 1 | 3;
  decode: DecodeSettings;
}

export interface RunDetector {
  model: tfl.LayersModel;
  meta: DetectorMeta;
  dispose(): void;
}

export async function openRunDetector(runDir: string): Promise<RunDetector> {
  const dir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new Error(`${runDir} has no trained detector (${RUN_FILES.model}/model.json); train a 'method: detect' experiment first`);
  const meta = (await readModelMetadata(dir)).medstudio as Partial<DetectorMeta> | undefined;
  if (meta?.kind !== 'detector' || !meta.inputSize || !meta.channels || !meta.decode) throw new Error(`${runDir}: its model is not a MedStudio detector (a 'method: detect' run)`);
  const model = await loadModel(dir);
  return { model, meta: meta as DetectorMeta, dispose: () => model.dispose() };
}

async function input(file: string, meta: DetectorMeta): Promise<{ x: Float32Array; width: number; height: number }> {
  const img = await readImage(file);
  if (img.spatialDims === 3 && (img.dims[2] ?? 1) > 1) throw new Error(`${file}: box suggestions are for 2D images; this is a 3D volume`);
  const x = toModelInput({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, { spatialDims: 2, size: meta.inputSize, channels: meta.channels, intensity: 'auto' }, file);
  return { x, width: img.dims[0]!, height: img.dims[1]! };
}

/** The detector's boxes on one image, in its pixels, best first. */
export async function detectorBoxes(det: RunDetector, imagePath: string): Promise<ScoredBox[]> {
  const s = await input(imagePath, det.meta);
  return (await predictSamples(det.model, [s], det.meta.inputSize, det.meta.channels, det.meta.decode))[0]!;
}

export function uncertainty(topScore: number): number {
  return 1 - Math.abs(2 * topScore - 1);
}

/** Each image's top score and uncertainty, most uncertain first (ties: the given order). */
export async function rankByUncertainty(det: RunDetector, imagePaths: readonly string[]): Promise<{ imagePath: string; topScore: number; uncertainty: number }[]> {
  const out: { imagePath: string; topScore: number; uncertainty: number; i: number }[] = [];
  for (const [i, imagePath] of imagePaths.entries()) {
    const s = await input(imagePath, det.meta);
    // Every peak, whatever the score threshold: an image whose best cell scores 0.3 is uncertain, not empty.
    const boxes = (await predictSamples(det.model, [s], det.meta.inputSize, det.meta.channels, { ...det.meta.decode, scoreThreshold: 0, maxDetections: 1 }))[0]!;
    const top = boxes[0]?.score ?? 0;
    out.push({ imagePath, topScore: top, uncertainty: uncertainty(top), i });
  }
  return out.sort((a, b) => b.uncertainty - a.uncertainty || a.i - b.i).map(({ i: _i, ...r }) => r);
}
