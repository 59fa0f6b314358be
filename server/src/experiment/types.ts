import type { Method } from './schema';

/** A validated experiment with defaults filled in and paths made absolute. */
export interface Experiment {
  /** Absolute path of the experiment file (paths below are resolved against its folder). */
  file: string;
  name: string;
  method: Method;
  init?: string;
  teacher?: string;
  data: {
    format: 'folder' | 'csv' | 'npz' | 'volumes' | 'coco' | 'images';
    path: string;
    labels?: string;
    classes?: string[];
    rare: string[];
    boxes?: { source: 'manual' | 'masks' | 'saliency' | 'segmentation'; path?: string; model?: string };
    valFraction: number;
    testFraction: number;
    /** CSV (path,split) with a fixed split. */
    split?: string;
    labelled: number;
    /** Target voxel spacing [D, H, W] mm for `volumes`. */
    spacing?: [number, number, number];
    intensity?: { window?: [number, number]; percentiles?: [number, number] };
    patch: boolean;
    patchesPerVolume: number;
  };
  model: {
    backbone: 'resnet' | 'mobilenet' | 'cnn3d' | 'vit3d' | 'unet';
    width: number;
    depth: number;
    inputSize: number;
    channels?: number;
    patchSize: number;
    embedDim: number;
    heads: number;
    decoderWidth: number;
    decoderDepth: number;
    projectionDim: number;
    hidden?: number;
  };
  train: {
    epochs: number;
    batchSize: number;
    lr: number;
    optimizer: 'adam' | 'sgd';
    momentum: number;
    nesterov: boolean;
    weightDecay: number;
    schedule: 'cosine' | 'poly' | 'constant';
    seed: number;
    balance: 'none' | 'sampler' | 'reweight';
    augment: boolean;
    checkpointEvery: number;
    adaptiveThreads: boolean;
  };
  care: { alpha: number; threshold: number; stage1Epochs?: number; outerStart: number; outerDelta: number };
  glmae: { maskRatio: number; localViews: number; globalScale: number; localSize: number; lambdaG2G: number; lambdaL2G: number; emaMomentum: number; volumeSize: number; target: 'view' | 'patch'; predictor: boolean };
  disco: { queueSize: number; temperature: number; keyMomentum: number; infoNCE: boolean; student: 'mobilenet' | 'resnet' };
  /** `segment` with backbone unet; undefined / 0 / 'auto' = decided from the data (methods/segment/unetPlan.ts). */
  unet: {
    patch?: number[];
    spacing?: number[];
    normalisation: 'auto' | 'ct' | 'mr' | 'none';
    features: number;
    maxFeatures: number;
    stages: number;
    block: 'plain' | 'residual';
    deepSupervision: boolean;
    batchSize: number;
    memoryMB: number;
    foreground: number;
    stepsPerEpoch: number;
    mirror: boolean;
    overlap: number;
    largestComponent: boolean;
  };
  detect: { scoreThreshold: number; nmsIou: number; maxDetections: number };
  longtail: { weightNorm: number; tta: boolean; cleaningRounds: number; cleaningFraction: number; cleaningFolds: number; hiResInputSize: number; hiResEpochs: number; crtEpochs: number; crtLr?: number };
  output: { dir?: string };
  /** Present only when the file has a `sweep:` block (experiment/sweep rules; sweeps/expand.ts). */
  sweep?: SweepBlock;
  /** Present only when the file has a `cluster:` block. */
  cluster?: ClusterBlock;
}

/** A value range for the random strategy (log: sampled uniformly in log space). */
export interface SweepRange {
  min: number;
  max: number;
  log?: boolean;
}
export type SweepValue = string | number | boolean;

export interface SweepBlock {
  strategy: 'grid' | 'random';
  trials: number;
  seeds?: number[];
  samplerSeed: number;
  concurrency: number;
  metric: 'balancedAccuracy' | 'accuracy' | 'auc' | 'meanClassError' | 'loss';
  /** 'train.lr' -> values (grid or random) or a range (random). */
  params: Record<string, SweepValue[] | SweepRange>;
}

export interface ClusterBlock {
  partition?: string;
  account?: string;
  qos?: string;
  cpus?: number;
  memory?: string;
  gpus?: number;
  time?: string;
  maxParallel?: number;
  setup?: string;
}
