/**
 * Sweeps on a real Slurm: a one-node cluster started on this machine (test/slurm/cluster.ts),
 * a three-trial sweep submitted as a job array through the real sbatch, from the CLI and from
 * the server (the palette's path); every trial must finish and its metrics reach the job events
 * the panel's model is fed with. Cancel goes through scancel.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelJobRequest, CancelSweepRequest, JobEventNotification, ListJobsRequest, StartSweepRequest, SweepChangedNotification, type JobEvent, type SweepTable } from '../../server/src/protocol';
import { openSweep } from '../../server/src/sweeps/record';
import { ROOT, startServer } from '../server/lspClient';
import { writeTinySweep } from '../server/tinySweep';
import { startCluster, whyNoSlurm, type Cluster } from './cluster';

const why = whyNoSlurm();
let cluster: Cluster | undefined;
let ws = '';

// One CPU per task: two of the three trials run at once on a two-core node.
const experiment = (name: string, epochs: number, lrs: number[]) => writeTinySweep(ws, name, lrs, { epochs, extra: 'cluster: { cpus: 1, time: "00:10:00" }\n' });

before(async () => {
  if (why) return;
  cluster = await startCluster();
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-slurm-ws-'));
  fs.writeFileSync(path.join(ws, 'package.json'), '{}'); // the workspace root: sweeps go to <ws>/.medstudio/sweeps
});

after(() => {
  cluster?.stop();
  if (ws) fs.rmSync(ws, { recursive: true, force: true });
});

test('medstudio sweep --slurm: a three-trial job array through the real sbatch, every trial finished with metrics', { skip: why && `Slurm cannot run here: ${why}` }, () => {
  const file = experiment('cli-sweep', 2, [0.001, 0.003, 0.01]);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'medstudio.js'), 'sweep', file, '--slurm', '--poll', '1', '--json'], { cwd: ws, env: cluster!.env, encoding: 'utf8', timeout: 240_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}\n${last}`);
  const t = JSON.parse(last) as SweepTable;
  assert.match(t.slurmJobId ?? '', /^\d+$/);
  assert.equal(t.rows.length, 3);
  for (const row of t.rows) {
    assert.equal(row.state, 'finished', `${row.id}: ${row.error ?? row.scheduler}`);
    assert.equal(row.scheduler, 'COMPLETED');
    assert.equal(row.final.split, 'test');
    assert.equal(typeof row.final.values.balancedAccuracy, 'number');
    assert.ok(row.runDir && fs.existsSync(path.join(row.runDir, 'metrics.jsonl')));
  }
  assert.ok(t.bestId && t.rows.some((row) => row.id === t.bestId));
  assert.deepEqual(t.rows.map((row) => row.params['train.lr']), [0.001, 0.003, 0.01]);
  // The array script and each task's log are in the sweep folder; the task ran medstudio train.
  const logs = fs.readdirSync(path.join(t.dir, 'slurm', 'logs'));
  assert.equal(logs.length, 3, logs.join(', '));
  assert.match(fs.readFileSync(path.join(t.dir, 'slurm', 'logs', `${t.slurmJobId}_0.out`), 'utf8'), /medstudio: task 0 of job/);
  assert.ok(fs.existsSync(path.join(t.dir, 'report.html')));
  // The table prints again from the folder, best first.
  const again = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'medstudio.js'), 'sweep', t.dir], { env: cluster!.env, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^\\*\\s+${t.bestId}`, 'm'));
  console.log(again.stdout);
});

test('medstudio submit --slurm: one run as written, resources from flags over the cluster: block, as Slurm itself records them', { skip: why && `Slurm cannot run here: ${why}` }, () => {
  // The file asks for 2 CPUs and 10 minutes; the flags win. Its sweep block is ignored: submit runs the file as written.
  const file = writeTinySweep(ws, 'submit-one', [0.001, 0.01], { extra: 'cluster: { cpus: 2, time: "00:10:00" }\n' });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'medstudio.js'), 'submit', file, '--slurm', '--partition', 'debug', '--cpus', '1', '--mem', '500M', '--time', '00:05:00', '--poll', '1', '--json'], { cwd: ws, env: cluster!.env, encoding: 'utf8', timeout: 180_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}\n${last}`);
  const t = JSON.parse(last) as SweepTable;
  assert.equal(t.rows.length, 1);
  assert.deepEqual(t.rows[0]!.params, {});
  assert.equal(t.rows[0]!.state, 'finished', t.rows[0]!.error);
  assert.equal(t.rows[0]!.final.split, 'test');
  const job = spawnSync('scontrol', ['show', 'job', '-o', `${t.slurmJobId}_0`], { env: cluster!.env, encoding: 'utf8' }).stdout;
  assert.match(job, /Partition=debug /);
  assert.match(job, /TimeLimit=00:05:00 /);
  assert.match(job, /NumCPUs=1 /);
  assert.match(job, /MinMemoryNode=500M /);
});

test('a task Slurm fails before training starts is a failed trial naming the exit code and its log, and the CLI exits 1', { skip: why && `Slurm cannot run here: ${why}` }, () => {
  // cluster.setup runs before medstudio train in each task: make it fail the way a missing module would.
  const file = writeTinySweep(ws, 'broken-setup', [0.001], { extra: 'cluster: { cpus: 1, setup: "echo no such module >&2; exit 3" }\n' });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'medstudio.js'), 'sweep', file, '--slurm', '--poll', '1', '--json'], { cwd: ws, env: cluster!.env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  const t = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as SweepTable;
  const row = t.rows[0]!;
  assert.equal(row.state, 'failed');
  assert.equal(row.runDir, undefined);
  assert.match(row.error ?? '', /Slurm: FAILED.*exit 3:0; log .*_0\.out/);
  assert.match(fs.readFileSync(path.join(t.dir, 'slurm', 'logs', `${t.slurmJobId}_0.out`), 'utf8'), /no such module/);
});

test('from the palette (server over LSP): the sweep on Slurm streams trial states and metrics as job events; cancel is scancel', { skip: why && `Slurm cannot run here: ${why}` }, async () => {
  const server = await startServer({ workspace: ws, env: { ...cluster!.env, MEDSTUDIO_SLURM_POLL_MS: '500' } });
  const events: JobEvent[] = [];
  const tables: SweepTable[] = [];
  let wake: () => void = () => undefined;
  server.onNotification(JobEventNotification, (e) => {
    events.push(e);
    wake();
  });
  server.onNotification(SweepChangedNotification, (t) => {
    tables.push(t);
    wake();
  });
  const until = (ok: () => boolean, what: string, ms = 240_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${what}; last table ${JSON.stringify(tables[tables.length - 1]?.rows.map((r) => [r.id, r.state, r.scheduler]))}`)), ms);
      const check = () => {
        if (!ok()) return;
        clearTimeout(timer);
        wake = () => undefined;
        resolve();
      };
      wake = check;
      check();
    });
  try {
    const t0: SweepTable = await server.request(StartSweepRequest, { experimentPath: experiment('panel-sweep', 2, [0.002, 0.005, 0.02]), slurm: true });
    assert.equal(t0.rows.length, 3);
    assert.ok(t0.slurmJobId);
    const done = () => {
      const t = tables[tables.length - 1];
      return !!t && t.id === t0.id && t.rows.every((r) => r.state === 'finished');
    };
    await until(done, 'every trial finished');
    // What the panel's JobsModel is fed: per-task jobs with their metrics, each record once.
    for (let task = 0; task < 3; task++) {
      const id: string = `slurm-${t0.slurmJobId}_${task}`;
      const states: JobEvent[] = events.filter((e) => e.jobId === id && e.kind === 'state');
      const metrics: JobEvent[] = events.filter((e) => e.jobId === id && e.kind === 'metrics');
      assert.ok(states.length, `no state events for ${id}`);
      const last: JobEvent = states[states.length - 1]!;
      assert.equal(last.kind === 'state' && last.job.state, 'finished');
      const row = tables[tables.length - 1]!.rows[task]!;
      const onDisk = fs.readFileSync(path.join(row.runDir!, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
      assert.equal(metrics.length, onDisk, `${id}: every metrics.jsonl record once`);
      assert.ok(metrics.some((e) => e.kind === 'metrics' && e.metrics.split === 'test'));
    }

    // Cancel: a long sweep, cancelled while its tasks run or wait.
    const long: SweepTable = await server.request(StartSweepRequest, { experimentPath: experiment('long-sweep', 500, [0.001, 0.002, 0.003]), slurm: true });
    await until(() => tables.some((t) => t.id === long.id && t.rows.some((r) => r.state === 'running')), 'a long trial running', 60_000);
    await server.request(CancelSweepRequest, { sweepDir: long.dir });
    await until(() => {
      const t = [...tables].reverse().find((x) => x.id === long.id);
      return !!t && t.rows.every((r) => r.state === 'cancelled');
    }, 'every long trial cancelled', 60_000);
    assert.equal((await openSweep(long.dir)).slurm?.jobId, long.slurmJobId);
  } finally {
    await server.stop();
  }
});

test('after a reload (a new server), the Slurm trials are listed again, their metrics stream from the array still running, and Cancel on one trial is scancel', { skip: why && `Slurm cannot run here: ${why}` }, async () => {
  const env = { ...cluster!.env, MEDSTUDIO_SLURM_POLL_MS: '500' };
  const first = await startServer({ workspace: ws, env });
  const tables: SweepTable[] = [];
  first.onNotification(SweepChangedNotification, (t) => void tables.push(t));
  let t0: SweepTable;
  try {
    t0 = await first.request(StartSweepRequest, { experimentPath: experiment('reload-sweep', 500, [0.001, 0.002, 0.003]), slurm: true });
    const t1 = Date.now();
    while (!tables.some((t) => t.id === t0.id && t.rows.some((r) => r.state === 'running' && r.epoch >= 1))) {
      assert.ok(Date.now() - t1 < 90_000, `no trial trained an epoch: ${JSON.stringify(tables[tables.length - 1]?.rows.map((r) => [r.id, r.state, r.scheduler]))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await first.stop(); // the window reloads: the array goes on without the server that submitted it
  }

  const server = await startServer({ workspace: ws, env });
  const events: JobEvent[] = [];
  let wake: () => void = () => undefined;
  server.onNotification(JobEventNotification, (e) => (events.push(e), wake()));
  const until = <T>(what: string, pick: () => T | undefined, ms = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
      wake = () => {
        const v = pick();
        if (v === undefined) return;
        clearTimeout(timer);
        wake = () => undefined;
        resolve(v);
      };
      wake();
    });
  const ids = [0, 1, 2].map((task) => `slurm-${t0.slurmJobId}_${task}`);
  try {
    const { jobs } = await server.request(ListJobsRequest, undefined);
    const listed = ids.map((id) => jobs.find((j) => j.id === id));
    assert.ok(listed.every(Boolean), `every trial is in the run list: ${JSON.stringify(jobs.map((j) => j.id))}`);
    assert.ok(listed.some((j) => j!.state === 'running'), JSON.stringify(listed.map((j) => j!.state)));
    // Followed again from the sweep folder: the running trial's metrics.jsonl reaches the panel.
    const live = listed.find((j) => j!.state === 'running')!;
    await until(`metrics of ${live.id}`, () => events.find((e) => e.jobId === live.id && e.kind === 'metrics'));
    // A job array this workspace did not submit is not scancel'ed.
    await assert.rejects(server.request(CancelJobRequest, { jobId: 'slurm-999999_0' }), /not a trial of a sweep in this workspace/);
    const cancelled = await server.request(CancelJobRequest, { jobId: live.id });
    assert.equal(cancelled.id, live.id);
    await until(`${live.id} cancelled`, () => events.find((e) => e.jobId === live.id && e.kind === 'state' && e.job.state === 'cancelled'));
    const others = ids.filter((id) => id !== live.id);
    const now = (await server.request(ListJobsRequest, undefined)).jobs;
    assert.ok(others.every((id) => now.find((j) => j.id === id)?.state !== 'cancelled'), 'only that trial was cancelled');
  } finally {
    await server.request(CancelSweepRequest, { sweepDir: t0.dir }).catch(() => undefined);
    await server.stop();
  }
});
