/**
 * The phases of a classifier run, in order: data-cleaning rounds (each trains from scratch on
 * the labels kept so far, then flags suspects), the main training (CARE: stage 1 cross-entropy,
 * then stage 2 with the attention loss), and high-resolution fine-tuning. A checkpoint names its
 * phase, so a resumed run skips the phases already done.
 */
import type { Experiment } from '../../experiment/types';

export interface Phase {
  name: string;
  inputSize: number;
  epochs: number;
  /** Added to the epoch number in metrics.jsonl (hi-res epochs follow the main ones). */
  epochOffset: number;
  lr: number;
  /** Epoch index (within the phase) from which the attention loss applies; Infinity = never. */
  attentionFrom: number;
  /** Whether epochs report validation metrics (cleaning rounds only log). */
  reportMetrics: boolean;
}

/** Stage-1 epochs of CARE: care.stage1Epochs, else half the epochs (MedStudio's default). */
export function stage1Epochs(exp: Experiment): number {
  return Math.min(exp.train.epochs, exp.care.stage1Epochs ?? Math.ceil(exp.train.epochs / 2));
}

export function planPhases(exp: Experiment): Phase[] {
  const care = exp.method === 'care';
  const lt = exp.longtail;
  const phases: Phase[] = [];
  for (let r = 1; r <= lt.cleaningRounds; r++) {
    phases.push({ name: `clean${r}`, inputSize: exp.model.inputSize, epochs: exp.train.epochs, epochOffset: 0, lr: exp.train.lr, attentionFrom: Infinity, reportMetrics: false });
  }
  phases.push({
    name: 'main',
    inputSize: exp.model.inputSize,
    epochs: exp.train.epochs,
    epochOffset: 0,
    lr: exp.train.lr,
    attentionFrom: care ? stage1Epochs(exp) : Infinity,
    reportMetrics: true,
  });
  if (lt.hiResInputSize > 0 && lt.hiResEpochs > 0) {
    // Fine-tuning: a tenth of the learning rate, attention kept on if CARE reached stage 2.
    phases.push({
      name: 'hires',
      inputSize: lt.hiResInputSize,
      epochs: lt.hiResEpochs,
      epochOffset: exp.train.epochs,
      lr: exp.train.lr / 10,
      attentionFrom: care && stage1Epochs(exp) < exp.train.epochs ? 0 : Infinity,
      reportMetrics: true,
    });
  }
  return phases;
}

/** Epochs reported in metrics.jsonl (main + hi-res). */
export function reportedEpochs(exp: Experiment): number {
  return planPhases(exp)
    .filter((p) => p.reportMetrics)
    .reduce((a, p) => a + p.epochs, 0);
}
