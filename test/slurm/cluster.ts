/**
 * A real one-node Slurm cluster on this machine for the slurm test layer: munged, slurmctld and
 * slurmd from Debian's `munge` and `slurm-wlm`, a generated slurm.conf in a temp folder, free
 * localhost ports, no systemd. `startCluster` resolves once the node is idle, or says exactly why
 * Slurm cannot run here (missing packages, not root, a daemon that would not start: its log).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Cluster {
  dir: string;
  /** Environment for sbatch/squeue/...: SLURM_CONF pointing at the generated config. */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

const DAEMONS = ['munged', 'slurmctld', 'slurmd'];
const CLIENTS = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo', 'munge'];

function which(cmd: string): string | undefined {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Why a cluster cannot start here, or undefined when it can try. */
export function whyNoSlurm(): string | undefined {
  const missing = [...DAEMONS, ...CLIENTS].filter((c) => !which(c));
  if (missing.length) return `Slurm is not installed (missing ${missing.join(', ')}): apt-get install slurm-wlm munge (.ci/run does)`;
  if (process.getuid?.() !== 0) return 'the test cluster runs slurmd as root (it starts jobs as their submitting user); run this layer as root, as CI does';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, n = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number, log: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the test Slurm cluster did not come up: ${what} after ${timeoutMs / 1000} s. Log:\n${log ? tail(log) : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startCluster(): Promise<Cluster> {
  const why = whyNoSlurm();
  if (why) throw new Error(why);
  // Short path: munge's socket path must fit in sockaddr_un.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-slurm-'));
  for (const d of ['state', 'spool', 'log', 'munge']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  fs.chmodSync(path.join(dir, 'munge'), 0o755);
  const key = path.join(dir, 'munge.key');
  fs.writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))), { mode: 0o600 });
  const socket = path.join(dir, 'munge', 'munge.socket');
  const host = os.hostname().split('.')[0]!;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const cpus = os.availableParallelism();
  const memMB = Math.floor(os.totalmem() / 2 ** 20 / 2);
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=medstudio-test',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      // No cgroups and no systemd in a container: track processes by their parent ids.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      // No slurmdbd (it needs a MySQL server): sacct answers "accounting storage is disabled"
      // and ended tasks are read from `scontrol show job`, kept for MinJobAge seconds.
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'MinJobAge=3600',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'ReturnToService=2',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memMB} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const pids: string[] = [];
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie has exited
    } catch {
      return false;
    }
  };
  const stop = () => {
    spawnSync(which('scontrol')!, ['shutdown'], { env, timeout: 10_000 });
    const daemons = pids.map(readPid).filter((p): p is number => p !== undefined);
    for (const pid of daemons) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    // Wait for them to exit before their folder is removed (munged removes its socket on exit).
    const t0 = Date.now();
    while (daemons.some(alive) && Date.now() - t0 < 10_000) spawnSync('sleep', ['0.1']);
  };
  try {
    execFileSync(which('munged')!, ['--force', `--socket=${socket}`, `--key-file=${key}`, `--log-file=${dir}/log/munged.log`, `--pid-file=${dir}/munge/munged.pid`, `--seed-file=${dir}/munge/seed`], { env, stdio: 'pipe' });
    pids.push(`${dir}/munge/munged.pid`);
    execFileSync(which('slurmctld')!, ['-i'], { env, stdio: 'pipe' });
    pids.push(`${dir}/slurmctld.pid`);
    await until('slurmctld answering', () => spawnSync(which('scontrol')!, ['ping'], { env, encoding: 'utf8' }).stdout.includes('UP'), 20_000, `${dir}/log/slurmctld.log`);
    execFileSync(which('slurmd')!, ['-N', host], { env, stdio: 'pipe' });
    pids.push(`${dir}/slurmd.pid`);
    await until('the node idle', () => /idle/.test(spawnSync(which('sinfo')!, ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout), 30_000, `${dir}/log/slurmd.log`);
  } catch (e) {
    stop();
    const err = e as Error & { stderr?: Buffer };
    throw new Error(`${err.message}${err.stderr ? `\n${err.stderr.toString()}` : ''}`);
  }
  return {
    dir,
    env,
    stop() {
      stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
