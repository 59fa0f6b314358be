/**
 * The contract between a training method (CARE, supervised, GL-MAE, segment, MoCo, DisCo) and
 * whoever runs it (the CLI, the server's job queue). A method gets a RunContext and reports
 * through it; it never prints, never picks paths itself, and stops when `signal` aborts.
 */
import type { ComputeStatus, EvalMetrics, StepProgress } from '../protocol';
import type { Experiment } from '../experiment/types';

export interface RunContext {
  experiment: Experiment;
  /** .medstudio/runs/<run-id>/ (already created, with the resolved experiment written). */
  runDir: string;
  runId: string;
  compute: ComputeStatus;
  /** Aborted on cancel or pause; the method stops at the next step, after a checkpoint where it can. */
  signal: AbortSignal;
  /** True when continuing from a checkpoint (runDir holds one). */
  resuming: boolean;
  /** Appends to metrics.jsonl and streams to the editor. */
  metrics(m: EvalMetrics): void;
  /** Step progress (throttled by the caller). */
  progress(p: StepProgress): void;
  /** A line for the log / output channel. */
  log(message: string): void;
}

export interface RunResult {
  /** Final test-split metrics (classification/segmentation) or the last pretraining losses. */
  test?: EvalMetrics;
  /** Extra files the method wrote, relative to runDir (report.html, model/, boxes.coco.json, ...). */
  artifacts: Record<string, string>;
}

export interface MethodRunner {
  method: Experiment['method'];
  /** Trains (or continues from the checkpoint in runDir when ctx.resuming). */
  train(ctx: RunContext): Promise<RunResult>;
  /** Evaluates a finished run on the test split of (possibly another) experiment's data. */
  evaluate?(runDir: string, experiment: Experiment, ctx: Omit<RunContext, 'resuming'>): Promise<EvalMetrics>;
}
