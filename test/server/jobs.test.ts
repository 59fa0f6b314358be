import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CancelJobRequest,
  JobEventNotification,
  ListJobsRequest,
  ResumeJobRequest,
  RunHistoryRequest,
  StartJobRequest,
  type EvalMetrics,
  type JobEvent,
  type JobInfo,
} from '../../server/src/protocol';
import { ROOT, startServer, type TestServer } from './lspClient';

let ws: string;
let server: TestServer;
const events: JobEvent[] = [];
const waiters: Array<() => void> = [];

function until<T>(pick: () => T | undefined, what: string, timeoutMs = 240_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.slice(-3))}`)), timeoutMs);
    const check = () => {
      const v = pick();
      if (v === undefined) return void waiters.push(check);
      clearTimeout(timer);
      resolve(v);
    };
    check();
  });
}
const ended = (id: string) => () => {
  const s = [...events].reverse().find((e) => e.jobId === id && e.kind === 'state');
  return s && s.kind === 'state' && ['finished', 'failed', 'cancelled'].includes(s.job.state) ? s.job : undefined;
};

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-jobs-'));
  fs.writeFileSync(
    path.join(ws, 'tiny.medstudio.yaml'),
    `method: supervised
data: { format: csv, path: ${path.join(ROOT, 'samples', 'skin-lesions', 'labels.csv')} }
model: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }
train: { epochs: 3, batchSize: 32, lr: 0.003, seed: 5 }
`,
  );
  server = await startServer({ workspace: ws });
  server.onNotification(JobEventNotification, (e) => {
    events.push(e);
    for (const w of waiters.splice(0)) w();
  });
});
after(async () => {
  await server.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

const testMetrics = async (runDir: string): Promise<EvalMetrics> => {
  const h = await server.request(RunHistoryRequest, { runDir });
  const t = h.metrics.find((m) => m.split === 'test');
  assert.ok(t, `run ${runDir} recorded test metrics`);
  return t;
};

test('a cancelled run resumed from its checkpoint ends with the same metrics as an uninterrupted run', async () => {
  const exp = path.join(ws, 'tiny.medstudio.yaml');
  const straight: JobInfo = await server.request(StartJobRequest, { experimentPath: exp });
  const interrupted: JobInfo = await server.request(StartJobRequest, { experimentPath: exp });
  // One training at a time: the second waits in the queue.
  assert.equal(interrupted.state, 'queued');
  const a = await until(ended(straight.id), 'the first run to finish');
  assert.equal(a.state, 'finished', a.error);

  await until(() => events.find((e) => e.jobId === interrupted.id && e.kind === 'metrics' && e.metrics.split === 'val' && e.metrics.epoch === 1), 'epoch 1 of the second run');
  await server.request(CancelJobRequest, { jobId: interrupted.id });
  const b = await until(ended(interrupted.id), 'the second run to stop');
  assert.equal(b.state, 'cancelled');
  assert.ok(b.epoch < 3, 'it stopped before the end');

  const resumed = await server.request(ResumeJobRequest, { runDir: b.runDir });
  const c = await until(ended(resumed.id), 'the resumed run to finish');
  assert.equal(c.state, 'finished', c.error);
  assert.equal(c.runDir, b.runDir, 'resume continues the same run folder');

  const [ma, mc] = [await testMetrics(a.runDir), await testMetrics(c.runDir)];
  assert.deepEqual(mc.confusion, ma.confusion);
  assert.equal(mc.balancedAccuracy, ma.balancedAccuracy);
  assert.equal(mc.loss, ma.loss);

  const { jobs } = await server.request(ListJobsRequest, undefined);
  assert.deepEqual(jobs.map((j) => j.state), ['finished', 'cancelled', 'finished']);
  assert.ok(fs.existsSync(path.join(ws, '.medstudio', 'jobs.json')), 'the job list is persisted in the workspace');
});

test('a restarted server lists the jobs it had and marks unfinished ones interrupted', async () => {
  const exp = path.join(ws, 'tiny.medstudio.yaml');
  const running = await server.request(StartJobRequest, { experimentPath: exp });
  await until(() => events.find((e) => e.jobId === running.id && e.kind === 'progress'), 'the job to start');
  server.proc.kill('SIGKILL');
  const again = await startServer({ workspace: ws });
  try {
    const { jobs } = await again.request(ListJobsRequest, undefined);
    const j = jobs.find((x) => x.id === running.id);
    assert.equal(j?.state, 'interrupted');
    assert.ok(jobs.filter((x) => x.state === 'finished').length >= 2, 'past runs are still listed');
  } finally {
    await again.stop();
    server = again; // `after` stops the live one
  }
});
