/**
 * Defaults that depend on the backbone. The U-Net trains nnU-Net's way: SGD with Nesterov
 * momentum 0.99, lr 0.01, the poly schedule. Those are `train.*` keys like every other method's,
 * with these values where the experiment does not write them (the run's experiment.json records
 * what was used), so one optimiser vocabulary serves every network.
 */
import type { Experiment } from './types';

export const UNET_TRAIN_DEFAULTS = { optimizer: 'sgd', momentum: 0.99, nesterov: true, lr: 0.01, schedule: 'poly' } as const satisfies Partial<Experiment['train']>;

/** Keys that moved: an experiment that still writes one is refused with where it went. */
export const MOVED_KEYS: Record<string, string> = {
  'unet.optimizer': "'unet.optimizer' is now 'train.optimizer' (for the U-Net it defaults to sgd with Nesterov momentum 0.99)",
  'unet.lr': "'unet.lr' is now 'train.lr' (for the U-Net it defaults to 0.01, on the poly schedule)",
};

/** Fills the backbone's own defaults into the `train` keys that `raw` (the file as written) leaves out. */
export function applyBackboneDefaults(exp: Experiment, raw: unknown): void {
  if (exp.model.backbone !== 'unet') return;
  const written = ((raw as { train?: Record<string, unknown> } | undefined)?.train ?? {}) as Record<string, unknown>;
  const train = exp.train as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(UNET_TRAIN_DEFAULTS)) if (written[k] === undefined) train[k] = v;
}
