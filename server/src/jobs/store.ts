/**
 * The job list, persisted at <workspace>/.medstudio/jobs.json so that a server restart lists
 * past and interrupted runs (and can offer to resume them). Written atomically (fsync'd, renamed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../data/atomicWrite';
import type { JobInfo } from '../protocol';

export class JobStore {
  constructor(private readonly file: string | undefined) {}

  static forWorkspace(root: string | undefined): JobStore {
    return new JobStore(root ? path.join(root, '.medstudio', 'jobs.json') : undefined);
  }

  /** Loads the list; jobs that were queued or running when the server died become interrupted. */
  load(): JobInfo[] {
    if (!this.file || !fs.existsSync(this.file)) return [];
    try {
      const jobs = JSON.parse(fs.readFileSync(this.file, 'utf8')) as JobInfo[];
      return jobs.map((j) => (j.state === 'running' || j.state === 'queued' ? { ...j, state: 'interrupted' } : j));
    } catch {
      // A damaged list is set aside, never silently overwritten.
      fs.renameSync(this.file, `${this.file}.damaged-${Date.now()}`);
      return [];
    }
  }

  save(jobs: JobInfo[]): void {
    if (!this.file) return;
    writeFileAtomicSync(this.file, JSON.stringify(jobs, null, 2));
  }
}
