/**
 * Dataset specs from a validated experiment (`*.medstudio.yaml`), so every method opens its
 * data the same way: paths are already absolute, `train.seed` seeds the split, `model.inputSize`
 * and `model.channels` set the input, `data.labelled` keeps a few labels.
 */
import type { Experiment } from '../../experiment/types';
import type { ClassificationDatasetSpec } from './classification';
import type { Intensity } from './preprocess';
import type { SegmentationDatasetSpec } from './segmentation';
import { DatasetError } from './sources';

/** For data.format folder, csv or npz. Manual boxes come from data.boxes.path when given. */
export function classificationSpec(e: Experiment, extra: { intensity?: Intensity } = {}): ClassificationDatasetSpec {
  const f = e.data.format;
  if (f === 'volumes' || f === 'coco') throw new DatasetError(e.file, `data.format '${f}' is not a classification dataset (volumes: segmentationSpec, for segmentation and pretraining; coco: the detector's boxes)`);
  const spec: ClassificationDatasetSpec = {
    format: f,
    path: e.data.path,
    inputSize: e.model.inputSize,
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    labelled: e.data.labelled,
  };
  if (e.data.classes) spec.classes = e.data.classes;
  if (e.model.channels === 1 || e.model.channels === 3) spec.channels = e.model.channels;
  if (e.data.boxes?.source === 'manual' && e.data.boxes.path) spec.boxes = e.data.boxes.path;
  if (extra.intensity) spec.intensity = extra.intensity;
  return spec;
}

/** data.intensity as the loaders take it: a CT window, MR percentiles, or 'auto' (per-volume min-max) when unset. */
export function intensityOf(e: Experiment): Intensity {
  const i = e.data.intensity;
  if (i?.window) return { window: i.window };
  if (i?.percentiles) return { percentiles: i.percentiles };
  return 'auto';
}

/** For data.format volumes: data.path holds the volumes, data.labels the label maps (optional); data.spacing, data.intensity and data.patch as given. */
export function segmentationSpec(e: Experiment, extra: { intensity?: Intensity } = {}): SegmentationDatasetSpec {
  if (e.data.format !== 'volumes') throw new DatasetError(e.file, `segmentation needs data.format 'volumes', got '${e.data.format}'`);
  const spec: SegmentationDatasetSpec = {
    path: e.data.path,
    size: e.model.inputSize,
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    labelled: e.data.labelled,
  };
  if (e.data.labels) spec.labels = e.data.labels;
  if (e.data.classes) spec.classes = e.data.classes;
  if (e.data.spacing) spec.spacing = e.data.spacing;
  if (e.data.patch) spec.patch = true;
  spec.intensity = extra.intensity ?? intensityOf(e);
  return spec;
}
