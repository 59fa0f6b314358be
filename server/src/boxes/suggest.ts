/** Boxes for one image, for the annotator's "Suggest boxes" (saliency, a run's segmentation net, or a detection run's detector). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toModelInput } from '../data/datasets';
import { readImage } from '../data/readers';
import type { SuggestedBox, SuggestSource } from '../protocol';
import { detectorBoxes, openRunDetector } from '../methods/detect/fromRun';
import { loadModel, readModelMetadata } from '../runs/modelIo';
import type { SaliencyMethod } from './saliency';
import { DEFAULT_SALIENCY, saliencyBox } from './saliencyBoxes';
import { boxFromMask, predictMasks, SEG_INPUT } from './segmentation';

/** The segmentation model of a run folder (runDir/segmentation-model, or runDir itself). */
export function segmentationModelDir(runDir: string): string {
  const inner = path.join(runDir, 'segmentation-model');
  if (fs.existsSync(path.join(inner, 'model.json'))) return inner;
  if (fs.existsSync(path.join(runDir, 'model.json'))) return runDir;
  throw new Error(`${runDir} has no segmentation model (segmentation-model/model.json); train one with a CARE run using boxes.source: segmentation, or 'medstudio boxes --source segmentation'`);
}

export async function suggestBoxes(imagePath: string, source: SuggestSource, opts: { runDir?: string; saliency?: SaliencyMethod } = {}): Promise<SuggestedBox[]> {
  if (source === 'model') {
    if (!opts.runDir) throw new Error('model suggestions need runDir: a finished detection run (method: detect)');
    const det = await openRunDetector(opts.runDir);
    try {
      return (await detectorBoxes(det, imagePath)).map((b) => ({ bbox: [...b.bbox], score: round(b.score), source }));
    } finally {
      det.dispose();
    }
  }
  const img = await readImage(imagePath);
  if (img.spatialDims === 3 && (img.dims[2] ?? 1) > 1) throw new Error(`${imagePath}: box suggestions are for 2D images; this is a 3D volume`);
  const width = img.dims[0]!;
  const height = img.dims[1]!;
  if (source === 'saliency') {
    const b = saliencyBox({ data: img.data, width, height, components: img.components }, opts.saliency ?? DEFAULT_SALIENCY);
    return b ? [{ bbox: b.bbox, score: round(b.score), source }] : [];
  }
  if (!opts.runDir) throw new Error('segmentation suggestions need runDir: a run folder with a segmentation model');
  const dir = segmentationModelDir(opts.runDir);
  const meta = (await readModelMetadata(dir)).medstudio as { inputSize?: number; channels?: number } | undefined;
  const size = meta?.inputSize ?? SEG_INPUT;
  const channels = (meta?.channels ?? 3) as 1 | 3;
  const x = toModelInput({ data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, { spatialDims: 2, size, channels, intensity: 'auto' }, imagePath);
  const model = await loadModel(dir);
  try {
    const [prob] = await predictMasks(model, [x], size, channels);
    const b = boxFromMask(prob!, size);
    if (!b) return [];
    const sx = width / size;
    const sy = height / size;
    return [{ bbox: [b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy], score: round(b.score), source }];
  } finally {
    model.dispose();
  }
}

const round = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1e4) / 1e4;
