/**
 * The shape of a 3D Vision Transformer (encoder) and of its MAE decoder. Defaults are the CPU
 * size from ALGORITHMS.md; the reference GL-MAE size is VIT3D_REFERENCE.
 */
export interface Vit3dConfig {
  /** Input side in voxels (cubic input); position embeddings are learned for this grid. */
  inputSize: number;
  patchSize: number;
  channels: number;
  embedDim: number;
  depth: number;
  heads: number;
  /** MLP hidden width = mlpRatio * embedDim. */
  mlpRatio: number;
}

export interface MaeDecoderConfig {
  width: number;
  depth: number;
  heads: number;
}

export const VIT3D_CPU_DEFAULT: Vit3dConfig = { inputSize: 32, patchSize: 8, channels: 1, embedDim: 96, depth: 4, heads: 4, mlpRatio: 4 };
export const MAE_DECODER_CPU_DEFAULT: MaeDecoderConfig = { width: 64, depth: 2, heads: 4 };
/** The GL-MAE reference network (ViT-B, 96^3, patch 16; decoder 512 wide, depth 8). */
export const VIT3D_REFERENCE: Vit3dConfig = { inputSize: 96, patchSize: 16, channels: 1, embedDim: 768, depth: 12, heads: 12, mlpRatio: 4 };
export const MAE_DECODER_REFERENCE: MaeDecoderConfig = { width: 512, depth: 8, heads: 16 };

/** Throws a specific error when the shape cannot work (sizes not divisible, and so on). */
export function validateVit3dConfig(c: Vit3dConfig, where = 'model'): void {
  const problems: string[] = [];
  if (c.inputSize % c.patchSize !== 0) problems.push(`inputSize ${c.inputSize} is not a multiple of patchSize ${c.patchSize}`);
  if (c.embedDim % c.heads !== 0) problems.push(`embedDim ${c.embedDim} is not divisible by heads ${c.heads}`);
  for (const k of ['inputSize', 'patchSize', 'channels', 'embedDim', 'depth', 'heads', 'mlpRatio'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) problems.push(`${k} must be a positive integer (got ${c[k]})`);
  }
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}`);
}

export function validateMaeDecoderConfig(d: MaeDecoderConfig, where = 'model'): void {
  if (d.width % d.heads !== 0) throw new Error(`${where}: decoderWidth ${d.width} is not divisible by ${d.heads} heads`);
}

/** Patches per side for a cubic input of `size` voxels. */
export function gridOf(size: number, patchSize: number): number {
  if (size % patchSize !== 0) throw new Error(`input side ${size} is not a multiple of the patch size ${patchSize}`);
  return size / patchSize;
}
