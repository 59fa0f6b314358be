/**
 * The phases of a classifier run, in order: data-cleaning rounds (each trains k models from
 * scratch, one per fold, on the labels kept so far minus that fold; each scores the fold it held
 * out; then the round flags suspects per class), the main training (CARE: stage 1, cross-entropy,
 * then stage 2, a run of its own with a fresh optimiser and learning-rate schedule that starts
 * from the stage-1 weights and adds the attention loss), high-resolution fine-tuning, and
 * classifier re-training (cRT: the backbone frozen, a fresh classifier trained with class-balanced
 * sampling; last, since it re-trains the classifier on the final features). A checkpoint names its
 * phase, so a resumed run skips the phases already done.
 */
import type { Experiment } from '../../experiment/types';

export interface Phase {
  name: string;
  inputSize: number;
  epochs: number;
  /** Added to the epoch number in metrics.jsonl (stage 2 follows stage 1, hi-res the main epochs). */
  epochOffset: number;
  lr: number;
  /** Whether the phase trains with CARE's attention loss. */
  attention: boolean;
  /** Where the weights start: the method's initialisation, or the previous phase's weights. */
  from: 'init' | 'previous';
  /** Whether epochs report validation metrics (cleaning rounds only log). */
  reportMetrics: boolean;
  /** A cleaning round's fold phase: it trains without fold `fold` (0-based) of `folds`, then scores it. */
  heldOutFold?: { round: number; fold: number; folds: number };
  /** cRT: only the re-initialised classifier trains (backbone frozen), with class-balanced sampling. */
  classifierOnly: boolean;
}

/** Stage-1 epochs of CARE: care.stage1Epochs, else half the epochs (MedStudio's default). */
export function stage1Epochs(exp: Experiment): number {
  return Math.min(exp.train.epochs, exp.care.stage1Epochs ?? Math.ceil(exp.train.epochs / 2));
}

export function planPhases(exp: Experiment): Phase[] {
  const care = exp.method === 'care';
  const lt = exp.longtail;
  const size = exp.model.inputSize;
  const phases: Phase[] = [];
  for (let r = 1; r <= lt.cleaningRounds; r++) {
    for (let f = 0; f < lt.cleaningFolds; f++) {
      phases.push({ name: `clean${r}-fold${f + 1}`, inputSize: size, epochs: exp.train.epochs, epochOffset: 0, lr: exp.train.lr, attention: false, from: 'init', reportMetrics: false, classifierOnly: false, heldOutFold: { round: r, fold: f, folds: lt.cleaningFolds } });
    }
  }
  if (care) {
    const s1 = stage1Epochs(exp);
    // A CARE run without stage 2 would be cross-entropy reported as CARE.
    if (s1 >= exp.train.epochs) throw new Error(`${exp.file}: care.stage1Epochs (${s1}) leaves stage 2 no epochs of train.epochs (${exp.train.epochs}); the attention loss would never act (use method: supervised for cross-entropy alone)`);
    if (s1 > 0) phases.push({ name: 'stage1', inputSize: size, epochs: s1, epochOffset: 0, lr: exp.train.lr, attention: false, from: 'init', reportMetrics: true, classifierOnly: false });
    phases.push({ name: 'stage2', inputSize: size, epochs: exp.train.epochs - s1, epochOffset: s1, lr: exp.train.lr, attention: true, from: s1 > 0 ? 'previous' : 'init', reportMetrics: true, classifierOnly: false });
  } else {
    phases.push({ name: 'main', inputSize: size, epochs: exp.train.epochs, epochOffset: 0, lr: exp.train.lr, attention: false, from: 'init', reportMetrics: true, classifierOnly: false });
  }
  if (lt.hiResInputSize > 0 && lt.hiResEpochs > 0) {
    // Fine-tuning: a tenth of the learning rate, attention kept on for CARE.
    phases.push({ name: 'hires', inputSize: lt.hiResInputSize, epochs: lt.hiResEpochs, epochOffset: exp.train.epochs, lr: exp.train.lr / 10, attention: care, from: 'previous', reportMetrics: true, classifierOnly: false });
  }
  if (lt.crtEpochs > 0) {
    const last = phases[phases.length - 1]!;
    phases.push({ name: 'crt', inputSize: last.inputSize, epochs: lt.crtEpochs, epochOffset: last.epochOffset + last.epochs, lr: lt.crtLr ?? exp.train.lr, attention: false, from: 'previous', reportMetrics: true, classifierOnly: true });
  }
  return phases;
}

/** Epochs reported in metrics.jsonl (main + hi-res). */
export function reportedEpochs(exp: Experiment): number {
  return planPhases(exp)
    .filter((p) => p.reportMetrics)
    .reduce((a, p) => a + p.epochs, 0);
}
