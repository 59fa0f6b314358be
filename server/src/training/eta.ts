/**
 * The ETA every progress report carries: the whole run, not the epoch in progress (a person
 * reading "ETA 40 s" at epoch 1 of 20 must not expect the end in 40 s).
 */
export function runEtaSeconds(o: { epoch: number; epochs: number; step: number; steps: number; secondsPerStep: number }): number {
  if (!(o.secondsPerStep > 0) || !Number.isFinite(o.secondsPerStep)) return 0;
  // `epoch` counts from 1 (the epoch in progress); later epochs are taken to have as many steps.
  const left = Math.max(0, o.steps - o.step) + Math.max(0, o.epochs - o.epoch) * o.steps;
  return left * o.secondsPerStep;
}
