/** A cancellable progress notification that follows one job until it ends. */
import * as vscode from 'vscode';
import { CancelJobRequest, type JobInfo } from '../../../server/src/protocol';
import type { ServerClient } from '../serverClient';
import type { JobsModel } from './jobsModel';

const ENDED = new Set(['finished', 'failed', 'cancelled', 'paused', 'interrupted']);

export function trackProgress(server: ServerClient, model: JobsModel, job: JobInfo): Promise<JobInfo> {
  return new Promise((resolve) => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MedStudio: ${job.action === 'evaluate' ? 'evaluating' : 'training'} ${vscode.workspace.asRelativePath(job.experimentPath)}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((done) => {
          let last = 0;
          const finish = (info: JobInfo) => {
            sub.dispose();
            done();
            resolve(info);
          };
          token.onCancellationRequested(() => void server.request(CancelJobRequest, { jobId: job.id }).catch(() => undefined));
          const sub = model.onEvent((e) => {
            if (e.jobId !== job.id) return;
            if (e.kind === 'progress') {
              const p = e.progress;
              const total = Math.max(1, p.epochs * p.steps);
              const pct = (100 * ((p.epoch - 1) * p.steps + p.step)) / total;
              progress.report({ increment: Math.max(0, pct - last), message: `epoch ${p.epoch}/${p.epochs}, loss ${p.loss.toFixed(4)}, ${p.imagesPerSec.toFixed(0)} img/s, ETA ${Math.round(p.etaSeconds)} s` });
              last = Math.max(last, pct);
            } else if (e.kind === 'state' && ENDED.has(e.job.state)) finish(e.job);
          });
          const now = model.get(job.id)?.info;
          if (now && ENDED.has(now.state)) finish(now);
        }),
    );
  });
}
