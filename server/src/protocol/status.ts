/** Messages between the training status panel (webview) and the extension host. */
import { Type } from '@sinclair/typebox';
import type { RequestsFrom } from './defs';
import { JobIdParams, RunDirParams, type EvalMetrics, type JobEvent, type JobInfo, type StepProgress } from './jobs';

export interface PanelJob {
  info: JobInfo;
  metrics: EvalMetrics[];
  progress?: StepProgress;
}

/** webview -> extension requests: the params each accepts (checked by the host where they arrive). */
export const StatusPanelRequestParams = {
  /** The panel (re)started: everything it needs to draw. */
  ready: Type.Object({}, { additionalProperties: false }),
  /** Full metric history of a run (older runs, or after a reload). */
  history: RunDirParams,
  cancel: JobIdParams,
  /** Stop at the next checkpoint; Resume continues from there. */
  pause: JobIdParams,
  resume: RunDirParams,
  openReport: RunDirParams,
  openModel: RunDirParams,
  explain: RunDirParams,
};
export type StatusPanelRequests = RequestsFrom<
  typeof StatusPanelRequestParams,
  {
    ready: { jobs: PanelJob[]; selected?: string };
    history: { metrics: EvalMetrics[] };
    cancel: JobInfo;
    pause: JobInfo;
    resume: JobInfo;
    openReport: void;
    openModel: void;
    explain: void;
  }
>;

/** extension -> webview events. */
export type StatusPanelEvents = {
  job: JobEvent;
  /** Select a job (e.g. the one just started from the command palette). */
  select: { jobId: string };
};
