/**
 * ListRuns: the one place the editor's pickers (Explain, suspect review, segmentation
 * suggestions) learn which runs exist, including runs written next to an experiment.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobEventNotification, ListRunsRequest, StartJobRequest, type JobEvent } from '../../server/src/protocol';
import { ROOT, startServer, type TestServer } from './lspClient';

let ws: string;
let server: TestServer;
const events: JobEvent[] = [];

function fakeRun(dir: string, info: Record<string, unknown>, files: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ runId: path.basename(dir), runDir: dir, experimentPath: '', method: 'care', state: 'finished', createdAt: '2026-01-01T00:00:00.000Z', epoch: 2, epochs: 2, ...info }));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '{}');
  }
}

before(async () => {
  // No .git or package.json anywhere up: runs of exp/ go to exp/.medstudio/runs, as for a new user.
  ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-runs-')));
  fs.mkdirSync(path.join(ws, 'skin'));
  fs.writeFileSync(
    path.join(ws, 'skin', 'tiny.medstudio.yaml'),
    `method: supervised
data: { format: csv, path: ${path.join(ROOT, 'samples', 'skin-lesions', 'labels.csv')} }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 1, batchSize: 32, lr: 0.003, seed: 5 }
`,
  );
  fakeRun(path.join(ws, '.medstudio', 'runs', 'care-seg'), {}, ['segmentation-model/model.json', 'cleaning/round-1.suspects.json']);
  fakeRun(path.join(ws, 'node_modules', 'x', '.medstudio', 'runs', 'dep-run'), {}, ['model/model.json']);
  fs.mkdirSync(path.join(ws, '.medstudio', 'runs', 'not-a-run'), { recursive: true });
  server = await startServer({ workspace: ws });
  server.onNotification(JobEventNotification, (e) => void events.push(e));
});
after(async () => {
  await server.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

test("a run trained from an experiment in a subfolder (runs in <experiment folder>/.medstudio/runs) is listed with its model", async () => {
  const job = await server.request(StartJobRequest, { experimentPath: path.join(ws, 'skin', 'tiny.medstudio.yaml') });
  const deadline = Date.now() + 240_000;
  const ended = () => events.find((e) => e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state));
  while (!ended()) {
    assert.ok(Date.now() < deadline, 'the tiny training ended');
    await new Promise((r) => setTimeout(r, 200));
  }
  const done = ended()!;
  assert.ok(done.kind === 'state' && done.job.state === 'finished', JSON.stringify(done));
  const runDir = done.job.runDir;
  assert.equal(path.dirname(path.dirname(runDir)), path.join(ws, 'skin', '.medstudio'), 'the run went next to the experiment');
  const { runs } = await server.request(ListRunsRequest, { holds: 'model' });
  assert.deepEqual(
    runs.map((r) => r.runDir),
    [runDir],
    'only the trained run holds a model (a run under node_modules is not the workspace\'s)',
  );
  assert.equal(runs[0]!.state, 'finished');
  assert.equal(runs[0]!.method, 'supervised');
  assert.ok(runs[0]!.modelSavedAt);
});

test('ListRuns finds segmentation models and cleaning reports, and skips folders that are not runs', async () => {
  const all = (await server.request(ListRunsRequest, {})).runs.map((r) => r.runId);
  assert.ok(all.includes('care-seg'));
  assert.ok(!all.includes('not-a-run') && !all.includes('dep-run'), JSON.stringify(all));
  const seg = (await server.request(ListRunsRequest, { holds: 'segmentationModel' })).runs;
  assert.deepEqual(seg.map((r) => r.runId), ['care-seg']);
  const sus = (await server.request(ListRunsRequest, { holds: 'suspects' })).runs;
  assert.deepEqual(sus[0]?.suspectReports.map((s) => path.basename(s.file)), ['round-1.suspects.json']);
});

test('ListRuns refuses an unknown filter, naming it', async () => {
  await assert.rejects(server.request(ListRunsRequest, { holds: 'weights' as 'model' }), /holds/);
});
