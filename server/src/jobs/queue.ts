/**
 * The server's job queue: one training job at a time per device (short requests go on
 * alongside, in the language server), each job in its own worker process. Cancel, pause (stop at
 * a checkpoint) and resume; every change is streamed as a JobEvent and persisted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { BackendPreference, JobAction, JobEvent, JobInfo } from '../protocol';
import type { RunInfo } from '../runs/runDir';
import { JobStore } from './store';
import type { FromWorker, ToWorker, WorkerTask } from './workerProtocol';

export interface QueueOptions {
  workerScript: string;
  store: JobStore;
  backend: BackendPreference;
  threads: number;
  emit: (e: JobEvent) => void;
  /** Grace period for a worker to checkpoint and exit after cancel before it is killed. */
  cancelGraceMs?: number;
  /** Jobs that run at once (a sweep's concurrency limit); 1 by default: one training per device. */
  concurrency?: number;
}

interface Entry {
  info: JobInfo;
  task: WorkerTask;
  proc?: ChildProcess;
  stopping?: 'cancel' | 'pause';
}

let counter = 0;

export class JobQueue {
  private readonly entries: Entry[] = [];

  constructor(private readonly o: QueueOptions) {
    for (const info of o.store.load()) this.entries.push({ info, task: { action: info.action, experimentPath: info.experimentPath, runDir: info.runDir, backend: o.backend, threads: o.threads } });
    this.persist();
  }

  list(): JobInfo[] {
    return this.entries.map((e) => e.info);
  }

  get(id: string): JobInfo | undefined {
    return this.entries.find((e) => e.info.id === id)?.info;
  }

  start(experimentPath: string, action: JobAction = 'train', opts: { outDir?: string; runDir?: string } = {}): JobInfo {
    const info: JobInfo = {
      id: `job-${Date.now().toString(36)}-${(counter++).toString(36)}`,
      runId: '',
      runDir: opts.runDir ?? '',
      experimentPath: path.resolve(experimentPath),
      method: '',
      action,
      state: 'queued',
      createdAt: new Date().toISOString(),
      epoch: 0,
      epochs: 0,
    };
    this.entries.push({ info, task: { action, experimentPath: info.experimentPath, runDir: opts.runDir, outDir: opts.outDir, backend: this.o.backend, threads: this.o.threads } });
    this.changed(info);
    this.schedule();
    return info;
  }

  /** Resumes a run folder from its last checkpoint (a new job on the same run). */
  resume(runDir: string): JobInfo {
    const prev = [...this.entries].reverse().find((e) => path.resolve(e.info.runDir) === path.resolve(runDir));
    if (prev && (prev.info.state === 'running' || prev.info.state === 'queued')) throw new Error(`run ${runDir} is already ${prev.info.state}`);
    return this.start(prev?.info.experimentPath ?? '', 'train', { runDir });
  }

  cancel(id: string): JobInfo {
    return this.stop(id, 'cancel');
  }

  pause(id: string): JobInfo {
    return this.stop(id, 'pause');
  }

  private stop(id: string, how: 'cancel' | 'pause'): JobInfo {
    const e = this.entries.find((x) => x.info.id === id);
    if (!e) throw new Error(`no job ${id}`);
    if (e.info.state === 'queued') {
      this.update(e, { state: how === 'cancel' ? 'cancelled' : 'paused', endedAt: new Date().toISOString() });
      return e.info;
    }
    if (e.info.state !== 'running' || !e.proc) throw new Error(`job ${id} is ${e.info.state}, not running`);
    e.stopping = how;
    e.proc.send({ type: how } satisfies ToWorker);
    const timer = setTimeout(() => e.proc?.kill('SIGKILL'), this.o.cancelGraceMs ?? 60_000);
    e.proc.once('exit', () => clearTimeout(timer));
    return e.info;
  }

  private schedule(): void {
    let free = (this.o.concurrency ?? 1) - this.entries.filter((e) => e.info.state === 'running').length;
    for (const next of this.entries.filter((e) => e.info.state === 'queued')) {
      if (free-- <= 0) return;
      this.launch(next);
    }
  }

  private launch(e: Entry): void {
    this.update(e, { state: 'running', startedAt: new Date().toISOString() });
    const proc = fork(this.o.workerScript, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    e.proc = proc;
    proc.send({ type: 'task', task: e.task } satisfies ToWorker);
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    proc.stdout?.on('data', (d: Buffer) => this.o.emit({ jobId: e.info.id, kind: 'log', message: d.toString() }));
    let failure: string | undefined;
    proc.on('message', (m: FromWorker) => {
      // A resumed run's folder still says how it ended last time: take its identity, not its state.
      if (m.type === 'created') this.update(e, { runId: m.info.runId, runDir: m.info.runDir, method: m.info.method, epoch: m.info.epoch, epochs: m.info.epochs });
      else if (m.type === 'event') {
        const ev = m.event;
        if (ev.kind === 'state') this.fromRun(e, ev.info);
        else if (ev.kind === 'progress') this.o.emit({ jobId: e.info.id, kind: 'progress', progress: ev.progress });
        else if (ev.kind === 'metrics') this.o.emit({ jobId: e.info.id, kind: 'metrics', metrics: ev.metrics });
        else this.o.emit({ jobId: e.info.id, kind: 'log', message: ev.message });
      } else if (m.type === 'evaluated') this.o.emit({ jobId: e.info.id, kind: 'metrics', metrics: m.metrics });
      else if (m.type === 'done' && m.info) this.fromRun(e, m.info);
      else if (m.type === 'error') failure = m.message;
    });
    proc.on('exit', (code, signal) => {
      e.proc = undefined;
      const ended = new Date().toISOString();
      if (e.stopping) this.update(e, { state: e.stopping === 'cancel' ? 'cancelled' : 'paused', endedAt: ended });
      else if (failure || code !== 0) {
        const why = failure ?? (signal ? `the job process was killed (${signal})` : `the job process exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
        this.update(e, { state: 'failed', error: why, endedAt: ended });
      } else if (e.info.state === 'running') this.update(e, { state: 'finished', endedAt: ended });
      e.stopping = undefined;
      this.schedule();
    });
  }

  /** Mirrors the run's own record (run.json) into the job, keeping the job's id and action. */
  private fromRun(e: Entry, r: RunInfo): void {
    const state = r.state === 'cancelled' && e.stopping === 'pause' ? 'paused' : r.state;
    this.update(e, { ...r, id: e.info.id, action: e.info.action, state: e.info.action === 'evaluate' ? e.info.state : state });
  }

  private update(e: Entry, patch: Partial<JobInfo>): void {
    e.info = { ...e.info, ...patch };
    this.changed(e.info);
  }

  private changed(info: JobInfo): void {
    this.persist();
    this.o.emit({ jobId: info.id, kind: 'state', job: info });
  }

  private persist(): void {
    this.o.store.save(this.entries.map((e) => e.info));
  }

  /** Stops every worker (server shutdown): their runs are interrupted, resumable later. */
  dispose(): void {
    for (const e of this.entries) e.proc?.kill('SIGTERM');
  }
}
