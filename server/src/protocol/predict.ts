import { Type } from '@sinclair/typebox';
import { FromServer, notification, request } from './defs';
import { NameParam, Params, PathParam } from './limits';

export type PredictKind = 'segmentation' | 'classification';

export interface PredictOutput {
  input: string;
  /** The label map written (segmentation): NIfTI in the input's own grid and geometry. */
  output?: string;
  /** Voxels per class (segmentation). */
  counts?: Record<string, number>;
  /** Most probable class and every class's probability (classification). */
  predicted?: string;
  probabilities?: Record<string, number>;
  seconds: number;
}

export interface PredictSummary {
  kind: PredictKind;
  runDir: string;
  classes: string[];
  outputs: PredictOutput[];
  /** predictions.csv (classification). */
  table?: string;
  seconds: number;
  /** Peak resident memory of the process that predicted. */
  peakMemoryMB: number;
}

export const PredictParams = Params({
  /** A finished run: a U-Net segmentation run or a classification run. */
  runDir: PathParam,
  /** A volume or image, a DICOM series folder, or a folder of images. */
  input: PathParam,
  /** Where outputs go; default `<runDir>/predictions`. */
  outDir: Type.Optional(PathParam),
  /** Mirroring test-time augmentation; default: as the run was evaluated. */
  mirror: Type.Optional(Type.Boolean()),
  /** Names this request's PredictProgressNotifications. */
  streamId: Type.Optional(NameParam),
});

export interface PredictProgressParams {
  streamId: string;
  input: string;
  /** Input `index` (0-based) of `count`. */
  index: number;
  count: number;
  /** Windows (segmentation) or images done of `total`. */
  done: number;
  total: number;
}

/** client -> server: a run's model on new data (cancellable between windows). */
export const PredictRequest = request<typeof PredictParams, PredictSummary>('medstudio/predict', PredictParams);

/** server -> client: how far a PredictRequest has come. */
export const PredictProgressNotification = notification('medstudio/predict/progress', FromServer<PredictProgressParams>());
