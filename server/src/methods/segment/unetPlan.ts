/**
 * Automatic configuration of the U-Net from a dataset fingerprint (nnU-Net's experiment
 * planning, simplified): target spacing = the median spacing; normalisation CT (the data reach
 * air, < -500) or MR (per-volume z-score); a patch the size of the median volume at that
 * spacing, rounded up to what the downsampling needs, shrunk along its longest side while the
 * estimated training memory exceeds the budget; as many stride-2 stages per axis as keep a
 * feature map of at least 4 voxels; on a GPU the batch size that fits the budget (at least 2, at
 * most what covers 5% of the dataset's voxels per step), on the CPU 2; the first stage's features from the compute
 * budget (nnU-Net's 32 on a GPU backend; 16 on the CPU, where a step at 40x56x40 costs a third of
 * the time at 32: measured 1.2 vs 3.6 s on 2 shared cores, so three times the steps in the same
 * hours). Every value the experiment gives wins; the plan records which came from where.
 */
import type { Experiment } from '../../experiment/types';
import type { DatasetFingerprint } from '../../data/volumes/fingerprint';
import type { Normalisation } from '../../data/volumes/normalise';
import type { Triple, Unet3dConfig } from '../../networks/unet3d';

/** The experiment's `unet:` settings; undefined / 0 / 'auto' = decide from the data. */
export type UnetSettings = Experiment['unet'];

/** What the plan needs to know of the machine that trains. */
export interface PlanCompute {
  /** The backend runs on a GPU (tensorflow-gpu, webgpu). */
  gpu: boolean;
}

const GPU_BACKENDS: readonly string[] = ['tensorflow-gpu', 'webgpu'];

export const planCompute = (backend: string): PlanCompute => ({ gpu: GPU_BACKENDS.includes(backend) });

export interface UnetPlan {
  spacing: Triple;
  normalisation: Normalisation;
  patch: Triple;
  strides: Triple[];
  kernels: Triple[];
  /** Feature maps of the first stage (doubling per stage up to maxFeatures). */
  features: number;
  maxFeatures: number;
  batchSize: number;
  /** Estimated training memory per step, MB. */
  estimatedMB: number;
  /** For each planned key: 'experiment' (given) or 'auto' (derived from the fingerprint). */
  source: Record<'spacing' | 'normalisation' | 'patch' | 'stages' | 'batchSize' | 'features', 'experiment' | 'auto'>;
}

const MIN_FEATURE_MAP = 4;
const MAX_STAGES = 6;

/** Stride-2 downsamplings per axis that keep every side >= MIN_FEATURE_MAP. */
function poolsFor(side: number): number {
  return Math.max(0, Math.floor(Math.log2(side / MIN_FEATURE_MAP)));
}

/** Strides per stage: axis a downsamples at stages 1..pools[a]. */
export function stridesFor(pools: Triple, stages: number): Triple[] {
  return Array.from({ length: stages }, (_, s) => (s === 0 ? [1, 1, 1] : pools.map((p) => (s <= p ? 2 : 1))) as Triple);
}

/**
 * Training memory estimate (MB) of one sample: each stage keeps about 8 activation-sized tensors
 * (convolution, normalisation and activation outputs, twice, plus their gradients' peak) in the
 * encoder and 10 in the decoder, float32.
 */
export function estimateMB(patch: Triple, strides: Triple[], features: (s: number) => number): number {
  let vox = patch[0] * patch[1] * patch[2];
  let bytes = 0;
  strides.forEach((st, s) => {
    vox /= st[0] * st[1] * st[2];
    bytes += vox * features(s) * 4 * (s === strides.length - 1 ? 8 : 18);
  });
  return bytes / 2 ** 20;
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

export function planUnet(fp: DatasetFingerprint, u: UnetSettings, compute: PlanCompute): UnetPlan {
  const given = (v?: number[]): v is number[] => Array.isArray(v) && v.length > 0;
  if (given(u.patch) && u.patch.length !== 3) throw new Error(`unet.patch needs 3 sides (D, H, W), got ${u.patch.length}`);
  if (given(u.spacing) && u.spacing.length !== 3) throw new Error(`unet.spacing needs 3 values (D, H, W mm), got ${u.spacing.length}`);
  const spacing = (given(u.spacing) ? u.spacing : fp.spacing.median) as Triple;
  const normalisation: Normalisation = u.normalisation !== 'auto' ? u.normalisation : fp.range.min < -500 ? 'ct' : 'mr';
  const features = u.features || (compute.gpu ? 32 : 16);
  const feats = (s: number) => Math.min(features * 2 ** s, u.maxFeatures);
  // Median volume size at the target spacing.
  const median = [0, 1, 2].map((a) => Math.max(1, Math.round((fp.size.median[a]! * fp.spacing.median[a]!) / spacing[a]!))) as Triple;
  const layout = (patch: Triple) => {
    const pools = patch.map(poolsFor) as Triple;
    const stages = Math.min(u.stages || MAX_STAGES, Math.max(...pools) + 1);
    const capped = pools.map((p) => Math.min(p, stages - 1)) as Triple;
    return { stages, strides: stridesFor(capped, Math.max(stages, 2)) };
  };
  const fit = (sides: Triple): Triple => {
    const { strides } = layout(sides);
    const total = strides.reduce((a, s) => a.map((v, i) => v * s[i]!) as Triple, [1, 1, 1] as Triple);
    return sides.map((v, a) => roundUp(v, total[a]!)) as Triple;
  };
  let patch: Triple;
  if (given(u.patch)) {
    patch = u.patch as Triple;
    const { strides } = layout(patch);
    const total = strides.reduce((a, s) => a.map((v, i) => v * s[i]!) as Triple, [1, 1, 1] as Triple);
    const bad = patch.findIndex((v, a) => v % total[a]! !== 0);
    if (bad >= 0) throw new Error(`unet.patch ${patch.join('x')}: side ${bad} must be a multiple of ${total[bad]} (the network downsamples it by that much)`);
  } else {
    let sides = median;
    patch = fit(sides);
    // Shrink the longest side (relative to the median volume) until one sample fits in half the budget.
    while (estimateMB(patch, layout(patch).strides, feats) * 2 > u.memoryMB && Math.max(...sides) > 8) {
      const a = sides.indexOf(Math.max(...sides));
      sides = sides.map((v, i) => (i === a ? Math.max(8, Math.floor(v * 0.9)) : v)) as Triple;
      patch = fit(sides);
    }
  }
  const { strides } = layout(patch);
  // A side of 1 voxel (2D data: one slice) gets kernels of 1 along it: the 2D U-Net.
  const kernels = strides.map(() => patch.map((v) => (v === 1 ? 1 : 3)) as Triple);
  const perSample = estimateMB(patch, strides, feats);
  let batchSize = u.batchSize;
  if (!batchSize) {
    const datasetVoxels = fp.cases * median[0] * median[1] * median[2];
    const cap = Math.max(2, Math.floor((0.05 * datasetVoxels) / (patch[0] * patch[1] * patch[2])));
    // On the CPU a step costs time in proportion to its patches, so nnU-Net's smallest batch (2)
    // gives the most updates per hour; a GPU runs a larger batch in about the time of a small one.
    batchSize = compute.gpu ? Math.max(2, Math.min(cap, Math.floor(u.memoryMB / Math.max(perSample, 1e-6)))) : 2;
  }
  return {
    spacing,
    normalisation,
    patch,
    strides,
    kernels,
    features,
    maxFeatures: u.maxFeatures,
    batchSize,
    estimatedMB: Math.round(perSample * batchSize),
    source: {
      spacing: given(u.spacing) ? 'experiment' : 'auto',
      normalisation: u.normalisation !== 'auto' ? 'experiment' : 'auto',
      patch: given(u.patch) ? 'experiment' : 'auto',
      stages: u.stages ? 'experiment' : 'auto',
      batchSize: u.batchSize ? 'experiment' : 'auto',
      features: u.features ? 'experiment' : 'auto',
    },
  };
}

export function networkConfig(plan: UnetPlan, u: UnetSettings, classes: number): Unet3dConfig {
  return { channels: 1, classes, features: plan.features, maxFeatures: plan.maxFeatures, strides: plan.strides, kernels: plan.kernels, block: u.block, deepSupervision: u.deepSupervision };
}
