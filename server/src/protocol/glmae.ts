import { Type, type Static } from '@sinclair/typebox';
import { request } from './defs';
import { Params, PathParam } from './limits';
import type { Float32Base64 } from './explain';

export const GlmaeReconstructionParams = Params({
  /** A finished GL-MAE run directory (holds model/glmae.json). */
  runDir: PathParam,
  /** The volume to reconstruct (any format the readers take). */
  volumePath: PathParam,
  /** Fraction of patches masked, in [0, 1); default: the run's glmae.maskRatio. */
  maskRatio: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
  /** Seed of the random mask (same seed, same mask); default 1. */
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 })),
});
export type GlmaeReconstructionParams = Static<typeof GlmaeReconstructionParams>;

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
export const GlmaeReconstructionRequest = request<typeof GlmaeReconstructionParams, GlmaeReconstructionResult>(
  'medstudio/glmae/reconstruction',
  GlmaeReconstructionParams,
);
