/**
 * The job list, persisted at <workspace>/.medstudio/jobs.json so that a server restart lists
 * past and interrupted runs (and can offer to resume them). Written atomically, and only while
 * the workspace is trusted; fsync'd before the rename. Entries that do not look like jobs (a hand-edited or stale file) are
 * dropped on load and logged, so one bad entry cannot break every later request.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Type } from '@sinclair/typebox';
import { JOB_ACTIONS, LIMITS, OneOf, type JobInfo } from '../protocol';
import { checkParams } from '../protocol/validate';
import { writeFileAtomicSync } from '../data/atomicWrite';

const Text = Type.String({ maxLength: LIMITS.path });
/** The fields the server relies on; others are kept as they are. */
const StoredJob = Type.Object({
  id: Type.String({ minLength: 1, maxLength: LIMITS.name }),
  runId: Text,
  runDir: Text,
  experimentPath: Text,
  method: Text,
  action: OneOf(JOB_ACTIONS),
  state: OneOf(['queued', 'running', 'paused', 'finished', 'failed', 'cancelled', 'interrupted'] as const),
  createdAt: Text,
  epoch: Type.Number(),
  epochs: Type.Number(),
});

export interface JobStoreOptions {
  /** True while the list must not be written (an untrusted workspace). */
  readOnly?: () => boolean;
  log?: (msg: string) => void;
}

export class JobStore {
  constructor(
    private readonly file: string | undefined,
    private readonly o: JobStoreOptions = {},
  ) {}

  static forWorkspace(root: string | undefined, o: JobStoreOptions = {}): JobStore {
    return new JobStore(root ? path.join(root, '.medstudio', 'jobs.json') : undefined, o);
  }

  private readOnly(): boolean {
    return this.o.readOnly?.() ?? false;
  }

  /** Loads the list; jobs that were queued or running when the server died become interrupted. */
  load(): JobInfo[] {
    if (!this.file || !fs.existsSync(this.file)) return [];
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      if (!Array.isArray(raw)) throw new Error('not a list');
    } catch {
      // A damaged list is set aside, never silently overwritten (and left alone when untrusted).
      if (!this.readOnly()) fs.renameSync(this.file, `${this.file}.damaged-${Date.now()}`);
      this.o.log?.(`${this.file}: not a job list; ${this.readOnly() ? 'ignored' : 'set aside'}`);
      return [];
    }
    const jobs: JobInfo[] = [];
    raw.forEach((j: unknown, i: number) => {
      const problem = checkParams(StoredJob, j);
      if (problem) this.o.log?.(`${this.file}: entry ${i} dropped (${problem})`);
      else jobs.push(j as JobInfo);
    });
    return jobs.map((j) => (j.state === 'running' || j.state === 'queued' ? { ...j, state: 'interrupted' } : j));
  }

  save(jobs: JobInfo[]): void {
    if (!this.file || this.readOnly()) return;
    writeFileAtomicSync(this.file, JSON.stringify(jobs, null, 2));
  }
}
