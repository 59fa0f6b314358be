/**
 * Sweeps on this machine and run comparison, as users get them: the built CLI (`medstudio sweep`,
 * `medstudio compare`) and the built server over LSP (what the palette and the panel call).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelJobRequest, CancelSweepRequest, CompareRunsRequest, JobEventNotification, ListJobsRequest, ListSweepsRequest, RunHistoryRequest, StartSweepRequest, SweepChangedNotification, type JobEvent, type RunComparison, type SweepTable } from '../../server/src/protocol';
import { ROOT, startServer } from './lspClient';
import { writeTinySweep } from './tinySweep';

let ws = '';
const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'medstudio.js'), ...args], { cwd: ws, encoding: 'utf8', timeout: 180_000 });
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop() ?? '') as T;

const experiment = (name: string, lrs: number[], epochs?: number) => writeTinySweep(ws, name, lrs, { epochs });
/** The sweep the CLI ran in the first test (read back by a new server in a later one). */
let cliSweep: SweepTable | undefined;

before(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-sweeps-'));
  fs.writeFileSync(path.join(ws, 'package.json'), '{}');
});
after(() => fs.rmSync(ws, { recursive: true, force: true }));

test('medstudio sweep: three trials on the local job queue, two at a time; table with the best marked; compare two of them', () => {
  const r = cli(['sweep', experiment('local', [0.001, 0.003, 0.01]), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const t = lastJson<SweepTable>(r.stdout);
  cliSweep = t;
  assert.equal(t.rows.length, 3);
  assert.ok(t.dir.startsWith(path.join(ws, '.medstudio', 'sweeps')), t.dir);
  for (const row of t.rows) {
    assert.equal(row.state, 'finished', `${row.id}: ${row.error}`);
    assert.equal(row.final.split, 'test');
    assert.equal(row.epoch, 2);
  }
  const best = t.rows.find((x) => x.id === t.bestId)!;
  assert.ok(t.rows.every((x) => x.final.values.balancedAccuracy! <= best.final.values.balancedAccuracy!));
  // Two at a time: the second trial started before the first ended.
  const runs = t.rows.map((x) => JSON.parse(fs.readFileSync(path.join(x.runDir!, 'run.json'), 'utf8')) as { startedAt: string; endedAt: string });
  assert.ok(runs[1]!.startedAt < runs[0]!.endedAt, 'trials t01 and t02 overlapped');
  assert.ok(fs.readFileSync(path.join(t.dir, 'report.html'), 'utf8').includes('Settings that differ'));

  const text = cli(['sweep', t.dir, '--sort', 'loss']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /loss ↓/);

  const html = path.join(ws, 'compare.html');
  const c = cli(['compare', t.rows[0]!.runDir!, t.rows[2]!.runDir!, '--html', html, '--json']);
  assert.equal(c.status, 0, c.stderr);
  const cmp = lastJson<RunComparison>(c.stdout);
  assert.deepEqual(cmp.differences.map((d) => d.key), ['train.lr']);
  assert.deepEqual(cmp.differences[0]!.values, ['0.001', '0.01']);
  assert.equal(cmp.runs.length, 2);
  assert.equal(cmp.runs[0]!.curves.balancedAccuracy?.length, 2);
  const page = fs.readFileSync(html, 'utf8');
  assert.match(page, /Curves \(validation, shared axes\)/);
  for (const run of cmp.runs) assert.ok(page.includes(run.runId));
  assert.equal(cli(['compare', t.rows[0]!.runDir!]).status, 2, 'one run is a usage error');
});

test('from the palette (server over LSP): a local sweep streams its trials as job events and its table; list and compare', async () => {
  const server = await startServer({ workspace: ws });
  const events: JobEvent[] = [];
  const tables: SweepTable[] = [];
  let wake: () => void = () => undefined;
  server.onNotification(JobEventNotification, (e) => (events.push(e), wake()));
  server.onNotification(SweepChangedNotification, (t) => (tables.push(t), wake()));
  try {
    const t0 = await server.request(StartSweepRequest, { experimentPath: experiment('palette', [0.002, 0.005, 0.02]) });
    assert.equal(t0.rows.length, 3);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; last table ${JSON.stringify(tables[tables.length - 1]?.rows.map((r) => r.state))}`)), 180_000);
      wake = () => {
        const t = tables[tables.length - 1];
        if (t?.id === t0.id && t.rows.every((r) => r.state === 'finished')) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    const jobIds = new Set(events.map((e) => e.jobId));
    assert.equal(jobIds.size, 3);
    for (const id of jobIds) assert.ok(events.some((e) => e.jobId === id && e.kind === 'metrics' && e.metrics.split === 'test'), id);
    const { sweeps } = await server.request(ListSweepsRequest, undefined);
    const mine = sweeps.find((s) => s.id === t0.id);
    assert.ok(mine?.bestId);
    const cmp = await server.request(CompareRunsRequest, { runDirs: mine.rows.map((r) => r.runDir!) });
    assert.deepEqual(cmp.differences.map((d) => d.key), ['train.lr']);
    await assert.rejects(server.request(CompareRunsRequest, { runDirs: [mine.rows[0]!.runDir!] }), /two or more/);
  } finally {
    await server.stop();
  }
});

test('after a reload (a new server), the run list still holds every trial of a sweep, with its metrics', async () => {
  assert.ok(cliSweep, 'needs the CLI sweep of the first test');
  const server = await startServer({ workspace: ws });
  try {
    const { jobs } = await server.request(ListJobsRequest, undefined);
    for (const row of cliSweep.rows) {
      const job = jobs.find((j) => j.runDir === row.runDir);
      assert.ok(job, `trial ${row.id} (${row.runDir}) is in the run list: ${JSON.stringify(jobs.map((j) => j.runDir))}`);
      assert.equal(job.state, 'finished');
      assert.equal(job.epoch, 2);
      assert.equal(path.resolve(job.experimentPath), path.resolve(path.join(cliSweep.dir, row.id, `${row.id}.medstudio.yaml`)));
      // The panel draws a listed run's curves from its history.
      const h = await server.request(RunHistoryRequest, { runDir: job.runDir });
      assert.ok(h.metrics.some((m) => m.split === 'test'), `${row.id}: test metrics on disk`);
    }
  } finally {
    await server.stop();
  }
});

test('Cancel on one local trial in the panel stops that trial only; the sweep cancels the rest', async () => {
  const server = await startServer({ workspace: ws });
  const events: JobEvent[] = [];
  let wake: () => void = () => undefined;
  server.onNotification(JobEventNotification, (e) => (events.push(e), wake()));
  const until = <T>(what: string, pick: () => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), 120_000);
      wake = () => {
        const v = pick();
        if (v === undefined) return;
        clearTimeout(timer);
        wake = () => undefined;
        resolve(v);
      };
      wake();
    });
  const stateOf = (id: string) => [...events].reverse().find((e) => e.jobId === id && e.kind === 'state');
  try {
    const t0 = await server.request(StartSweepRequest, { experimentPath: experiment('cancel-one', [0.001, 0.002, 0.003], 300) });
    const running = await until('a trial training', () => events.find((e) => e.kind === 'progress')?.jobId);
    const stopped = await server.request(CancelJobRequest, { jobId: running });
    assert.equal(stopped.id, running);
    await until('the trial cancelled', () => { const e = stateOf(running); return e?.kind === 'state' && e.job.state === 'cancelled' ? true : undefined; });
    await server.request(CancelSweepRequest, { sweepDir: t0.dir });
    const ids = [...new Set(events.filter((e) => e.kind === 'state').map((e) => e.jobId))];
    assert.equal(ids.length, 3);
    await until('every trial ended', () => (ids.every((id) => { const e = stateOf(id); return e?.kind === 'state' && !['queued', 'running'].includes(e.job.state); }) ? true : undefined));
    const listed = (await server.request(ListJobsRequest, undefined)).jobs.filter((j) => ids.includes(j.id));
    assert.deepEqual(listed.map((j) => j.state).sort(), ['cancelled', 'cancelled', 'cancelled']);
  } finally {
    await server.stop();
  }
});
