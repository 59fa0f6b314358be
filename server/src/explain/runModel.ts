/**
 * A trained model as explanations need it: the LayersModel from `<runDir>/model/`, its class
 * names (the model's saved metadata, else experiment.json `data.classes`, else "class i"), its
 * input grid and channels, and how training normalised intensities.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadModel, readModelMetadata, RUN_FILES } from '../runs';
import { logitsLayerOf } from './graph';
import { spatialDimsOf } from './layers';
import type { Intensity } from '../data/datasets';

export interface RunModel {
  runDir: string;
  model: LayersModel;
  classes: string[];
  spatialDims: 2 | 3;
  /** Model input grid in tensor axis order: [h, w] or [d, h, w]. */
  inputSpatial: number[];
  channels: number;
  /** How training scaled intensities (saved with the model; the data pipeline's 'auto' otherwise). */
  intensity: Intensity;
  /** The training inputs' mean per channel, when training saved it (kernel interpretation's L1 anchor). */
  inputMean?: number[];
  /** The layer whose output is the class scores. */
  logitsLayer: string;
  /** The model's own explanation layer (saved `featureLayer`, e.g. a detector's trunk output before its heads), else undefined: the last feature map. */
  featureLayer?: string;
  /** model.json's modification time when loaded (a retrained run reloads). */
  stamp: number;
}

function modelDir(runDir: string): string {
  return path.join(runDir, RUN_FILES.model);
}

/** model.json's mtime, or a clear error when the run has no model yet. */
export function modelStamp(runDir: string): number {
  const dir = modelDir(runDir);
  for (const d of [dir, `${dir}.old`]) {
    const file = path.join(d, 'model.json');
    if (fs.existsSync(file)) return fs.statSync(file).mtimeMs;
  }
  if (!fs.existsSync(runDir)) throw new Error(`run folder ${runDir} does not exist`);
  // U-Net runs (segment, segment2d) save model/segmenter.json: say what they are, not "not finished".
  if (fs.existsSync(path.join(dir, 'segmenter.json'))) throw new Error(`run folder ${runDir} holds a segmentation U-Net (model/segmenter.json): Grad-CAM and kernel interpretation explain classifiers; a segmentation run shows its mask with "Run Model on…" (or \`medstudio predict\`), and for a segment2d run \`medstudio explain <run> <image> --out DIR\` writes its mask and foreground probability`);
  throw new Error(`run folder ${runDir} has no trained model (expected ${path.join(dir, 'model.json')}); has training finished?`);
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function intensityOf(v: unknown): Intensity {
  if (v === 'auto' || v === 'minmax') return v;
  const w = asRecord(v).window;
  if (Array.isArray(w) && w.length === 2 && w.every((n) => typeof n === 'number')) return { window: [w[0] as number, w[1] as number] };
  return 'auto';
}

export async function openRunModel(runDir: string): Promise<RunModel> {
  const stamp = modelStamp(runDir);
  const experiment = readJson(path.join(runDir, RUN_FILES.experiment)) ?? {};
  const saved = await readModelMetadata(modelDir(runDir));
  // MedStudio's runs keep their facts under `medstudio`; models from elsewhere may have them at the top.
  const meta = { ...saved, ...asRecord(saved.medstudio) };
  const model = await loadModel(modelDir(runDir));
  try {
    const spatialDims = spatialDimsOf(model);
    const shape = model.inputs[0]!.shape;
    const inputSpatial = shape.slice(1, -1).map((d) => d ?? -1);
    if (inputSpatial.some((d) => d <= 0)) throw new Error(`the model in ${runDir} has no fixed input size ([${shape.join(', ')}])`);
    const logitsLayer = typeof meta.logitsLayer === 'string' ? meta.logitsLayer : logitsLayerOf(model);
    const scores = model.layers.find((l) => l.name === logitsLayer);
    if (!scores) throw new Error(`the model in ${runDir} has no layer '${logitsLayer}' (its saved logitsLayer)`);
    const outShape = scores.outputShape as (number | null)[];
    const outUnits = outShape[outShape.length - 1] ?? 0;
    const numClasses = outUnits === 1 ? 2 : outUnits;
    const named = stringArray(meta.classes) ?? stringArray(asRecord(experiment.data).classes);
    const classes = named && named.length === numClasses ? named : Array.from({ length: numClasses }, (_, i) => `class ${i}`);
    const intensity = intensityOf(meta.intensity ?? asRecord(experiment.data).intensity);
    const inputMean = Array.isArray(meta.inputMean) && meta.inputMean.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (meta.inputMean as number[]) : undefined;
    const featureLayer = typeof meta.featureLayer === 'string' && model.layers.some((l) => l.name === meta.featureLayer) ? meta.featureLayer : undefined;
    return { runDir, model, classes, spatialDims, inputSpatial, channels: shape[shape.length - 1] ?? 1, intensity, ...(inputMean ? { inputMean } : {}), logitsLayer, ...(featureLayer ? { featureLayer } : {}), stamp };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
