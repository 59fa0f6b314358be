/**
 * One process at a time per run folder. Training (new or resumed) holds `run.lock`
 * ({ pid, host, startedAt }), created exclusively, so a second resume of the same run is refused
 * naming the holder instead of both writing every epoch. The same record tells a reader whether
 * a run.json that says "running" still has a process behind it (a killed run leaves the lock of
 * a dead pid, or none).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'run.lock';

export interface RunHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: RunHolder,
  ) {
    super(`run ${runDir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.startedAt}); a second training or resume of the same run is refused. Wait for it to end or cancel it; if that process is gone (another machine, or its pid reused), delete ${path.join(runDir, LOCK_FILE)}`);
    this.name = 'RunLockedError';
  }
}

/** Whether `pid` is a live process on this machine (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, or undefined when there is no (readable) lock. */
export function readHolder(runDir: string): RunHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(path.join(runDir, LOCK_FILE), 'utf8')) as Partial<RunHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string') return { pid: h.pid, host: h.host, startedAt: String(h.startedAt ?? '') };
  } catch {
    /* none, or torn */
  }
  return undefined;
}

/**
 * Whether the run has a live process: the lock's holder runs on this host. A holder on another
 * host (a shared file system) cannot be checked here, so it counts as alive.
 */
export function holderAlive(h: RunHolder | undefined): boolean {
  if (!h) return false;
  return h.host !== os.hostname() || processAlive(h.pid);
}

/**
 * Takes the run's lock or throws RunLockedError naming the holder. A lock left by a process that
 * died on this host is taken over. Returns the release function (idempotent).
 */
export function acquireRunLock(runDir: string): () => void {
  const file = path.join(runDir, LOCK_FILE);
  const me: RunHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeFileSync(fd, JSON.stringify(me));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(runDir);
      // A torn lock (no holder) was left by a process that died mid-write: taken over like a dead one.
      if (attempt > 0 || (holder && holderAlive(holder))) throw new RunLockedError(runDir, holder ?? { pid: 0, host: 'an unknown host', startedAt: '?' });
      fs.rmSync(file, { force: true });
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const h = readHolder(runDir);
    if (h && h.pid === me.pid && h.host === me.host) fs.rmSync(file, { force: true });
  };
}

/**
 * A run.json as it stands now: one that says "running" but whose process is gone (killed, out of
 * memory, power cut: nothing got to write the end) reads as "interrupted", with why.
 */
export function withLiveState<T extends { state: string; error?: string; pid?: number; host?: string }>(runDir: string, info: T): T {
  if (info.state !== 'running') return info;
  const holder = readHolder(runDir);
  if (holderAlive(holder)) return info;
  const who = info.pid ? `process ${info.pid} on ${info.host ?? 'this machine'}` : 'the process that ran it';
  return { ...info, state: 'interrupted', error: `${who} ended without recording it (killed or crashed); resume it to continue from its last checkpoint` };
}
