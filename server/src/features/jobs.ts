/** The job queue over LSP: start, resume, cancel, pause, list, history, the workspace's runs; events streamed. */
import { CodeLensRefreshRequest } from 'vscode-languageserver/node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelJobRequest, JobEventNotification, ListJobsRequest, ListRunsRequest, PauseJobRequest, ResumeJobRequest, RunHistoryRequest, StartJobRequest } from '../protocol';
import { JobQueue } from '../jobs/queue';
import { JobStore } from '../jobs/store';
import { invalidParams, onRequest, sendNotification } from '../lsp/typed';
import { experimentPath, requestPath } from './paths';
import { readMetrics, RUN_FILES } from '../runs/runDir';
import { listRuns } from '../runs/listRuns';
import type { ServerContext, ServerFeature } from './types';
import { stopSweepTrial, sweepTrialJobs } from './sweeps';

let queue: JobQueue | undefined;

function jobs(ctx: ServerContext): JobQueue {
  if (!queue) {
    const init = ctx.initOptions();
    queue = new JobQueue({
      workerScript: path.join(__dirname, 'jobWorker.js'),
      // Untrusted, the list is read but never written (the server writes nothing there).
      store: JobStore.forWorkspace(ctx.workspaceRoots()[0], { readOnly: () => !ctx.trusted(), log: ctx.log }),
      backend: init.backend,
      threads: init.threads,
      emit: (e) => {
        sendNotification(ctx.connection, JobEventNotification, e);
        // CodeLens shows the latest run's state: ask the editor to refresh it when a job changes state.
        if (e.kind === 'state') void ctx.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
      },
    });
  }
  return queue;
}

export const jobsFeature: ServerFeature = {
  name: 'jobs',
  register(ctx) {
    onRequest(ctx.connection, StartJobRequest, (p) => {
      if (!ctx.trusted()) invalidParams('training is disabled until you trust this workspace');
      const exp = experimentPath(ctx, p.experimentPath);
      const outDir = p.outDir === undefined ? undefined : requestPath(ctx, p.outDir, 'outDir', 'write');
      return jobs(ctx).start(exp, p.action ?? 'train', { outDir });
    });
    onRequest(ctx.connection, ResumeJobRequest, (p) => {
      if (!ctx.trusted()) invalidParams('training is disabled until you trust this workspace');
      const runDir = requestPath(ctx, p.runDir, 'runDir', 'write');
      if (!fs.existsSync(path.join(runDir, RUN_FILES.info))) invalidParams(`runDir: ${p.runDir} is not a run folder (it has no ${RUN_FILES.info})`);
      return jobs(ctx).resume(runDir);
    });
    // A sweep trial in the panel stops in its sweep's queue (scancel on Slurm); every other job is the workspace queue's.
    onRequest(ctx.connection, CancelJobRequest, async (p) => (await stopSweepTrial(ctx, p.jobId, 'cancel')) ?? jobs(ctx).cancel(p.jobId));
    onRequest(ctx.connection, PauseJobRequest, async (p) => (await stopSweepTrial(ctx, p.jobId, 'pause')) ?? jobs(ctx).pause(p.jobId));
    // Sweep trials are listed from their sweep folders, so they survive a reload like any run.
    onRequest(ctx.connection, ListJobsRequest, async () => ({ jobs: [...jobs(ctx).list(), ...(await sweepTrialJobs(ctx))] }));
    // Every run folder: the queue's, the sweep trials', and every .medstudio/runs under the workspace folders.
    onRequest(ctx.connection, ListRunsRequest, async (p) => ({
      runs: listRuns(
        ctx.workspaceRoots(),
        [...jobs(ctx).list(), ...(await sweepTrialJobs(ctx))].map((j) => j.runDir),
        p.holds,
      ),
    }));
    onRequest(ctx.connection, RunHistoryRequest, async (p) => ({ metrics: await readMetrics(requestPath(ctx, p.runDir, 'runDir', 'read')), progress: [] }));
    ctx.connection.onShutdown(() => queue?.dispose());
  },
};
