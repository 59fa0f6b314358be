/** Which runs `predict` takes, from the files they saved (no weights are read). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UNET2D_FORMAT } from '../methods/segment2d/model';
import { SEGMENTER_FORMAT } from '../methods/segment/train';
import { UNET_FORMAT } from '../methods/segment/unetTrain';
import type { PredictKind } from '../protocol/predict';
import { RUN_FILES } from '../runs/runDir';
import { unetModelFile } from './unetModel';

/** What a run can predict, from the model it saved. */
export function predictKind(runDir: string): PredictKind {
  const k = predictorOf(runDir);
  if (typeof k === 'string') return k;
  throw new Error(`${runDir}: ${k.refused}`);
}

/** What a run can predict, or why it cannot (cheap: reads no weights; run listings call it). */
export function predictorOf(runDir: string): PredictKind | { refused: string } {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) return { refused: 'not a run folder' };
  const seg = unetModelFile(runDir);
  if (fs.existsSync(seg)) {
    const { format, patch } = saved(seg);
    if (format === UNET_FORMAT || format === UNET2D_FORMAT || (format === SEGMENTER_FORMAT && patch)) return 'segmentation';
    return { refused: `its segmentation model is '${format}' (the UNETR-style ViT, trained on whole volumes squashed to a cube); predict takes U-Net runs (model.backbone: unet) and ViT runs trained with data.patch, which work at the data's own resolution` };
  }
  if (fs.existsSync(path.join(runDir, RUN_FILES.model, 'model.json'))) {
    // A detector saves model/model.json too; its output is boxes, not class probabilities.
    if (runMethod(runDir) === 'detect') return { refused: "is a detection run: its boxes come from the annotator's Suggest Boxes (source model) or medstudio eval (predictions.coco.json)" };
    return 'classification';
  }
  return { refused: 'has no model that predicts: expected a U-Net segmentation run (model/segmenter.json of model.backbone: unet) or a classification run (model/model.json); has training finished?' };
}

function runMethod(runDir: string): string | undefined {
  try {
    return String((JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.info), 'utf8')) as { method?: unknown }).method ?? '');
  } catch {
    return undefined;
  }
}

/** The saved model's format, and whether it was trained on patches (data.patch). */
function saved(file: string): { format: string; patch: boolean } {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: unknown; modelTopology?: { patch?: unknown } };
    return { format: String(json.format ?? 'unknown'), patch: json.modelTopology?.patch === true };
  } catch {
    return { format: 'unreadable', patch: false };
  }
}
