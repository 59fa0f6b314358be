/**
 * Training data for every method. Start with loadClassificationDataset (2D/3D classification,
 * CARE's boxes) or loadSegmentationDataset (3D volumes with label maps, or volumes alone for
 * GL-MAE pretraining). Both stream batches as tfjs tensors the caller disposes.
 */
export {
  loadClassificationDataset,
  type ClassificationBatch,
  type ClassificationBatchOptions,
  type ClassificationDataset,
  type ClassificationDatasetSpec,
  type DatasetSample,
} from './classification';
export { loadSegmentationDataset, type LoadedVolume, type PatchBatchOptions, type SegmentationBatch, type SegmentationBatchOptions, type SegmentationDataset, type SegmentationDatasetSpec, type SegmentationSample } from './segmentation';
export { classBalancedWeights, epochOrder, type OrderOptions } from './batches';
export { boxMask, npzImagePath, type InputBox } from './boxes';
export { CsvError, parseCsv } from './csv';
export { encodeNpy, encodeNpz, NpyError, parseNpy, parseNpz, type Npy, type NpyArray } from './npy';
export { checkFinite, inputShape, InputValueError, normaliseImage, toModelInput, type InputGeometry, type Intensity, type RawImage } from './preprocess';
export { DatasetError } from './sources';
export { countByClass, describeImbalance, SPLITS, stratifiedSplit, type ClassCounts, type Split } from './splits';
export { classificationSpec, intensityOf, segmentationSpec } from './fromExperiment';
export { trainingInputMean } from './inputMean';
