import { request } from './defs';
import type { Float32Base64 } from './explain';

export interface GlmaeReconstructionParams {
  /** A finished GL-MAE run directory (holds model/glmae.json). */
  runDir: string;
  /** The volume to reconstruct (any format the readers take). */
  volumePath: string;
  /** Fraction of patches masked; default: the run's glmae.maskRatio. */
  maskRatio?: number;
  /** Seed of the random mask (same seed, same mask); default 1. */
  seed?: number;
}

export interface GlmaeReconstructionResult {
  /** Grid of all four volumes, (x, y, z): the network input grid (the whole volume resized to it). */
  dims: number[];
  /** The input volume, intensities scaled to [0, 1] as in training. */
  original: Float32Base64;
  /** The input with masked patches set to 0 (what the encoder saw). */
  masked: Float32Base64;
  /** Visible patches as given, masked patches as predicted by the decoder (MAE's "reconstruction + visible"). */
  reconstruction: Float32Base64;
  /** 1 on voxels of masked patches, 0 elsewhere. */
  mask: Float32Base64;
  patchSize: number;
  maskRatio: number;
  /** Mean squared error over masked voxels, in the [0, 1] intensity scale. */
  maskedMse: number;
  backend: string;
}

/** client -> server: original, masked input and reconstruction of a volume by a GL-MAE run, for side-by-side display. */
export const GlmaeReconstructionRequest = request<GlmaeReconstructionParams, GlmaeReconstructionResult>('medstudio/glmae/reconstruction');
