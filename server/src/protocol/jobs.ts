import { Type } from '@sinclair/typebox';
import { FromServer, notification, request } from './defs';
import { NameParam, NoParams, OneOf, Params, PathParam } from './limits';
import type { BackendName } from './compute';

export type JobState = 'queued' | 'running' | 'paused' | 'finished' | 'failed' | 'cancelled' | 'interrupted';
export const JOB_ACTIONS = ['train', 'evaluate'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export interface JobInfo {
  id: string;
  runId: string;
  runDir: string;
  experimentPath: string;
  method: string;
  action: JobAction;
  state: JobState;
  backend?: BackendName;
  device?: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  epoch: number;
  epochs: number;
  error?: string;
  best?: { metric: string; value: number; epoch: number };
  reportPath?: string;
  modelPath?: string;
}

/** Metrics of one evaluation (every epoch on val, at the end on test). */
export interface EvalMetrics {
  split: 'train' | 'val' | 'test';
  epoch: number;
  loss?: number;
  accuracy?: number;
  balancedAccuracy?: number;
  auc?: number;
  meanClassError?: number;
  classes?: string[];
  recall?: Record<string, number>;
  precision?: Record<string, number>;
  /** confusion[true][predicted] */
  confusion?: number[][];
  /** Method-specific terms (GL-MAE losses, Dice, probe accuracy, ...). */
  extra?: Record<string, number>;
}

export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  imagesPerSec: number;
  etaSeconds: number;
  memoryMB: number;
}

export type JobEvent =
  | { jobId: string; kind: 'state'; job: JobInfo }
  | { jobId: string; kind: 'progress'; progress: StepProgress }
  | { jobId: string; kind: 'metrics'; metrics: EvalMetrics }
  | { jobId: string; kind: 'log'; message: string };

export const StartJobParams = Params({
  experimentPath: PathParam,
  action: Type.Optional(OneOf(JOB_ACTIONS)),
  /** Runs folder; default `<workspace>/.medstudio/runs`. Inside the workspace. */
  outDir: Type.Optional(PathParam),
});
export const RunDirParams = Params({ runDir: PathParam });
export const JobIdParams = Params({ jobId: NameParam });

/** client -> server: queue a training (or evaluation) job for an experiment file. */
export const StartJobRequest = request<typeof StartJobParams, JobInfo>('medstudio/jobs/start', StartJobParams);
/** client -> server: resume an interrupted/cancelled/paused run from its last checkpoint. */
export const ResumeJobRequest = request<typeof RunDirParams, JobInfo>('medstudio/jobs/resume', RunDirParams);
/** client -> server: cancel a queued or running job (checkpoint kept). */
export const CancelJobRequest = request<typeof JobIdParams, JobInfo>('medstudio/jobs/cancel', JobIdParams);
/** client -> server: pause a running job at its next checkpoint. */
export const PauseJobRequest = request<typeof JobIdParams, JobInfo>('medstudio/jobs/pause', JobIdParams);
/** client -> server: all jobs this workspace knows, past and present (persisted). */
export const ListJobsRequest = request<typeof NoParams, { jobs: JobInfo[] }>('medstudio/jobs/list', NoParams);
/** client -> server: full metric history of a run, for the status panel. */
export const RunHistoryRequest = request<typeof RunDirParams, { metrics: EvalMetrics[]; progress: StepProgress[] }>('medstudio/jobs/history', RunDirParams);
/** server -> client: every state change, step progress and metric, streamed. */
export const JobEventNotification = notification('medstudio/jobs/event', FromServer<JobEvent>());
