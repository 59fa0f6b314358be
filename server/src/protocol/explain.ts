import { Type, type Static } from '@sinclair/typebox';
import { FromServer, notification, request } from './defs';
import { IndexParam, NameParam, OneOf, Params, PathParam } from './limits';

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

const targetFields = {
  /** A run directory holding a trained model (model.json). */
  runDir: PathParam,
  /** The image or volume to explain (any format the readers take). */
  imagePath: PathParam,
  /** Layer name; default: the last convolutional block. */
  layer: Type.Optional(NameParam),
};
export const ExplainTarget = Params(targetFields);
export type ExplainTarget = Static<typeof ExplainTarget>;

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

const Weight = Type.Optional(Type.Number({ minimum: 0, maximum: 1e6 }));
/** Kernel-interpretation loss weights; unset ones take the reference's defaults for the layer's convolution index. */
export const KernelLossWeights = Params({ alpha: Weight, beta: Weight, gamma: Weight, /** Total variation (0 by default). */ delta: Weight });
export type KernelLossWeights = Static<typeof KernelLossWeights>;

const Positive = Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e7 }));
export const ExplainLayersParams = Params({ runDir: PathParam });
export const GradCamParams = Params({ ...targetFields, classIndex: Type.Optional(IndexParam), method: Type.Optional(OneOf(['gradcam', 'gradcam++'] as const)) });
export const TopKernelsParams = Params({ ...targetFields, count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) });
export const KernelInterpretParams = Params({
  ...targetFields,
  kernel: IndexParam,
  streamId: NameParam,
  maxSteps: Positive,
  maxSeconds: Positive,
  streamEvery: Positive,
  weights: Type.Optional(KernelLossWeights),
  /** LSP work-done progress token (client-initiated progress); otherwise the server creates one. */
  workDoneToken: Type.Optional(Type.Union([NameParam, Type.Integer()])),
});

/** client -> server: the layers of a trained model, named, so the user can pick one. */
export const ExplainLayersRequest = request<typeof ExplainLayersParams, { layers: LayerInfo[]; defaultLayer: string; classes: string[] }>('medstudio/explain/layers', ExplainLayersParams);

/** client -> server: Grad-CAM / Grad-CAM++ for a class (default: the predicted one). */
export const GradCamRequest = request<typeof GradCamParams, HeatmapResult>('medstudio/explain/gradcam', GradCamParams);

/** client -> server: the most active kernels of a layer for an image. */
export const TopKernelsRequest = request<typeof TopKernelsParams, { layer: string; kernels: { index: number; meanActivation: number }[] }>(
  'medstudio/explain/topKernels',
  TopKernelsParams,
);

/** client -> server: kernel interpretation (cancellable; streams KernelProgressNotification). */
export const KernelInterpretRequest = request<typeof KernelInterpretParams, KernelResult>('medstudio/explain/kernel', KernelInterpretParams);

/** server -> client: the evolving image and both loss terms every few steps. */
export const KernelProgressNotification = notification('medstudio/explain/kernelProgress', FromServer<KernelProgressParams>());
