import { notification, request } from './defs';

/** Float32 voxels as base64 (little-endian), x fastest; JSON-friendly and compact. */
export type Float32Base64 = string;

export interface LayerInfo {
  name: string;
  className: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /** Convolutional feature maps (what Grad-CAM and kernel interpretation can use). */
  spatial: boolean;
}

export interface ExplainTarget {
  /** A run directory holding a trained model (model.json). */
  runDir: string;
  /** The image or volume to explain (any format the readers take). */
  imagePath: string;
  /** Layer name; default: the last convolutional block. */
  layer?: string;
}

export interface HeatmapResult {
  /** Heat in [0, 1] on the image's own voxel grid. */
  heatmap: Float32Base64;
  /** Dimensions of that grid (x, y[, z]). */
  dims: number[];
  classIndex: number;
  className: string;
  probabilities: number[];
  classes: string[];
  layer: string;
  method: 'gradcam' | 'gradcam++';
}

export interface KernelProgressParams {
  /** Identifies the request this progress belongs to. */
  streamId: string;
  step: number;
  lSel: number;
  lRest: number;
  /** The current optimised image (model input grid), when sent this step. */
  image?: Float32Base64;
  dims: number[];
  /** Values per voxel in `image`, interleaved (1 when absent). */
  channels?: number;
}

export interface KernelResult {
  image: Float32Base64;
  dims: number[];
  steps: number;
  lSel: number;
  lRest: number;
  stopped: 'converged' | 'cancelled' | 'maxSteps' | 'timeLimit';
  /** Values per voxel in `image`, interleaved (1 when absent). */
  channels?: number;
  layer?: string;
}

/** Kernel-interpretation loss weights; unset ones take the defaults for the layer's depth. */
export interface KernelLossWeights {
  alpha?: number;
  beta?: number;
  gamma?: number;
  /** Total variation (0 by default). */
  delta?: number;
}

/** client -> server: the layers of a trained model, named, so the user can pick one. */
export const ExplainLayersRequest = request<{ runDir: string }, { layers: LayerInfo[]; defaultLayer: string; classes: string[] }>('medstudio/explain/layers');

/** client -> server: Grad-CAM / Grad-CAM++ for a class (default: the predicted one). */
export const GradCamRequest = request<ExplainTarget & { classIndex?: number; method?: 'gradcam' | 'gradcam++' }, HeatmapResult>('medstudio/explain/gradcam');

/** client -> server: the most active kernels of a layer for an image. */
export const TopKernelsRequest = request<ExplainTarget & { count?: number }, { layer: string; kernels: { index: number; meanActivation: number }[] }>(
  'medstudio/explain/topKernels',
);

/** client -> server: kernel interpretation (cancellable; streams KernelProgressNotification). */
export const KernelInterpretRequest = request<
  ExplainTarget & {
    kernel: number;
    streamId: string;
    maxSteps?: number;
    maxSeconds?: number;
    streamEvery?: number;
    weights?: KernelLossWeights;
    /** LSP work-done progress token (client-initiated progress); otherwise the server creates one. */
    workDoneToken?: string | number;
  },
  KernelResult
>('medstudio/explain/kernel');

/** server -> client: the evolving image and both loss terms every few steps. */
export const KernelProgressNotification = notification<KernelProgressParams>('medstudio/explain/kernelProgress');
