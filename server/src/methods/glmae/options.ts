/** GL-MAE's settings, from an experiment's `model`, `glmae` and `train` sections. */
import type { Experiment } from '../../experiment/types';
import type { MaeDecoderConfig, Vit3dConfig } from '../../networks/vit3dConfig';

export interface GlmaeOptions {
  encoder: Vit3dConfig;
  decoder: MaeDecoderConfig;
  /** Projection head on the mean token: embedDim -> hidden -> projectionDim. */
  projectionDim: number;
  projectionHidden: number;
  maskRatio: number;
  /** Reconstruction target normalisation (losses.ts). */
  target: 'view' | 'patch';
  localViews: number;
  globalScale: number;
  localSize: number;
  lambdaG2G: number;
  lambdaL2G: number;
  emaMomentum: number;
  /** A student-only predictor MLP before the consistency losses (not in the paper; off by default). */
  predictor: boolean;
  lr: number;
  weightDecay: number;
  seed: number;
}

export function encoderConfigFromExperiment(e: Experiment): Vit3dConfig {
  const m = e.model;
  return { inputSize: m.inputSize, patchSize: m.patchSize, channels: m.channels ?? 1, embedDim: m.embedDim, depth: m.depth, heads: m.heads, mlpRatio: 4 };
}

export function glmaeOptionsFromExperiment(e: Experiment): GlmaeOptions {
  const encoder = encoderConfigFromExperiment(e);
  const g = e.glmae;
  if (g.localViews > 0 && g.localSize % encoder.patchSize !== 0) {
    throw new Error(`${e.file}: glmae.localSize ${g.localSize} must be a multiple of model.patchSize ${encoder.patchSize}`);
  }
  return {
    encoder,
    decoder: { width: e.model.decoderWidth, depth: e.model.decoderDepth, heads: e.model.decoderWidth % e.model.heads === 0 ? e.model.heads : 1 },
    projectionDim: e.model.projectionDim,
    projectionHidden: e.model.hidden ?? 2 * encoder.embedDim,
    maskRatio: g.maskRatio,
    target: g.target,
    localViews: g.localViews,
    globalScale: g.globalScale,
    localSize: g.localSize,
    lambdaG2G: g.lambdaG2G,
    lambdaL2G: g.lambdaL2G,
    emaMomentum: g.emaMomentum,
    predictor: g.predictor,
    lr: e.train.lr,
    weightDecay: e.train.weightDecay,
    seed: e.train.seed,
  };
}
