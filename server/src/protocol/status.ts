/** Messages between the training status panel (webview) and the extension host. */
import type { EvalMetrics, JobEvent, JobInfo, StepProgress } from './jobs';

export interface PanelJob {
  info: JobInfo;
  metrics: EvalMetrics[];
  progress?: StepProgress;
}

/** webview -> extension requests. */
export type StatusPanelRequests = {
  /** The panel (re)started: everything it needs to draw. */
  ready: { params: Record<string, never>; result: { jobs: PanelJob[]; selected?: string } };
  /** Full metric history of a run (older runs, or after a reload). */
  history: { params: { runDir: string }; result: { metrics: EvalMetrics[] } };
  cancel: { params: { jobId: string }; result: JobInfo };
  /** Stop at the next checkpoint; Resume continues from there. */
  pause: { params: { jobId: string }; result: JobInfo };
  resume: { params: { runDir: string }; result: JobInfo };
  openReport: { params: { runDir: string }; result: void };
  openModel: { params: { runDir: string }; result: void };
  explain: { params: { runDir: string }; result: void };
};

/** extension -> webview events. */
export type StatusPanelEvents = {
  job: JobEvent;
  /** Select a job (e.g. the one just started from the command palette). */
  select: { jobId: string };
};
