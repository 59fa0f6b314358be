/**
 * The extension's view of the server's jobs: fed by streamed JobEvents (never polled), it keeps
 * the latest state, metrics and progress of every job for the status bar, the progress
 * notification and the training status panel.
 */
import * as vscode from 'vscode';
import { JobEventNotification, ListJobsRequest, type EvalMetrics, type JobEvent, type JobInfo, type StepProgress } from '../../../server/src/protocol';
import type { ServerClient } from '../serverClient';

export interface JobView {
  info: JobInfo;
  metrics: EvalMetrics[];
  progress?: StepProgress;
}

export class JobsModel implements vscode.Disposable {
  private readonly jobs = new Map<string, JobView>();
  private readonly emitter = new vscode.EventEmitter<JobEvent>();
  /** Every event, after the model has applied it. */
  readonly onEvent = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly server: ServerClient) {
    this.sub = server.onNotification(JobEventNotification, (e) => this.apply(e));
  }

  /** Loads the persisted list (past and interrupted runs) from the server. */
  async refresh(): Promise<JobView[]> {
    const { jobs } = await this.server.request(ListJobsRequest, undefined);
    for (const info of jobs) {
      const v = this.jobs.get(info.id);
      this.jobs.set(info.id, { info, metrics: v?.metrics ?? [], progress: v?.progress });
    }
    return this.all();
  }

  all(): JobView[] {
    return [...this.jobs.values()].sort((a, b) => b.info.createdAt.localeCompare(a.info.createdAt));
  }

  get(id: string): JobView | undefined {
    return this.jobs.get(id);
  }

  private apply(e: JobEvent): void {
    const v = this.jobs.get(e.jobId) ?? (e.kind === 'state' ? { info: e.job, metrics: [] } : undefined);
    if (!v) return;
    if (e.kind === 'state') v.info = e.job;
    else if (e.kind === 'metrics') v.metrics.push(e.metrics);
    else if (e.kind === 'progress') v.progress = e.progress;
    this.jobs.set(e.jobId, v);
    this.emitter.fire(e);
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

/** "epoch 3/10 · bal.acc 0.812" for the status bar. */
export function compactJobText(v: JobView): string {
  const last = v.metrics[v.metrics.length - 1];
  const metric = last?.balancedAccuracy ?? last?.accuracy;
  const epochs = v.progress?.epochs ?? v.info.epochs;
  const epoch = v.progress ? v.progress.epoch : v.info.epoch;
  return `epoch ${epoch}/${epochs || '?'}${metric !== undefined ? ` · bal.acc ${metric.toFixed(3)}` : ''}`;
}
