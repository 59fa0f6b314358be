/**
 * Resuming a run that was killed, with its checkpoints in the state a crash leaves them: the
 * killed run reads as interrupted, a second resume at once is refused naming the holder, a
 * missing latest.json and a damaged newest checkpoint fall back to the older intact one (saying
 * so), temp folders are cleaned, and a run without any checkpoint is not restarted over its metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readMetrics, readRunInfo, runExperiment, type RunEvent } from '../../../server/src/runs';
import { RunLockedError } from '../../../server/src/runs/runLock';
import { makeLesionFixture, writeExperiment } from '../care/fixture';

const CLI = path.join(__dirname, '..', '..', '..', 'server', 'src', 'cli', 'main.ts');

// Cross-entropy only (a CARE run must reach stage 2, and this one is killed long before).
const EXPERIMENT = `name: long supervised
method: supervised
data: { format: csv, path: data/labels.csv, rare: [rare] }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 400, batchSize: 8, lr: 0.01, seed: 3 }
`;

const checkpoints = (runDir: string) => (fs.existsSync(path.join(runDir, 'checkpoints')) ? fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => /^e\d{6}-s\d{6}$/.test(n)).sort() : []);

/** Starts `medstudio train` and SIGKILLs it once it has written two checkpoints; returns the run folder. */
async function trainAndKill(exp: string, runsDir: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'train', exp, '--backend', 'cpu'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const t0 = Date.now();
  for (;;) {
    const runs = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [];
    const dir = runs[0] ? path.join(runsDir, runs[0]) : undefined;
    if (dir && checkpoints(dir).length >= 2) {
      child.kill('SIGKILL');
      await exited;
      return dir;
    }
    if (child.exitCode !== null) throw new Error(`training ended before it could be killed: ${stderr}`);
    if (Date.now() - t0 > 120_000) {
      child.kill('SIGKILL');
      throw new Error(`no two checkpoints within 2 minutes: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

let fx: ReturnType<typeof makeLesionFixture>;
let killed = '';
let copies = 0;

before(async () => {
  await ensureBackend({ backend: 'cpu' });
  fx = makeLesionFixture();
  killed = await trainAndKill(writeExperiment(fx, 'long', EXPERIMENT), path.join(fx.root, '.medstudio', 'runs'));
});
after(() => fs.rmSync(fx.root, { recursive: true, force: true }));

/** A fresh copy of the killed run (run folders may be moved; each test damages its own). */
function killedRun(): string {
  const dir = path.join(fx.root, '.medstudio', 'runs', `copy-${++copies}`);
  fs.cpSync(killed, dir, { recursive: true });
  return dir;
}

/** Resumes until the first step, then stops it (a checkpoint is written); returns its log. */
async function resumeBriefly(runDir: string): Promise<{ logs: string; state: string }> {
  const logs: string[] = [];
  const stop = new AbortController();
  const out = await runExperiment(undefined, {
    resume: runDir,
    signal: stop.signal,
    onEvent: (e: RunEvent) => {
      if (e.kind === 'log') logs.push(e.message);
      if (e.kind === 'progress') stop.abort();
    },
  });
  return { logs: logs.join('\n'), state: out.info.state };
}

test('a killed run (SIGKILL mid-training) reads as interrupted on the next look, naming the process', async () => {
  const runDir = killedRun();
  const raw = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { state: string };
  assert.equal(raw.state, 'running', 'nothing got to write the end');
  const seen = await readRunInfo(runDir);
  assert.equal(seen.state, 'interrupted');
  assert.match(seen.error ?? '', /process \d+ on .* ended without recording it \(killed or crashed\)/);
});

test('two resumes of one run at once: one runs, the other is refused naming the holder (pid and host)', async () => {
  const runDir = killedRun();
  // Each stops at its first step, so that (on code without the lock) both would run and end.
  const brief = () => {
    const stop = new AbortController();
    return runExperiment(undefined, { resume: runDir, signal: stop.signal, onEvent: (e) => e.kind === 'progress' && stop.abort() });
  };
  const [a, b] = await Promise.allSettled([brief(), brief()]);
  const refused = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  const ran = [a, b].find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof runExperiment>>> | undefined;
  assert.ok(refused && ran, `one resume runs, one is refused: ${[a, b].map((r) => r.status).join(', ')}`);
  assert.ok(refused.reason instanceof RunLockedError, String(refused.reason));
  assert.match(String(refused.reason.message), new RegExp(`in use by process ${process.pid} on ${os.hostname()}`));
  assert.equal(ran.value.info.state, 'cancelled');
  assert.ok(!fs.existsSync(path.join(runDir, 'run.lock')), 'the lock is released');
  const epochs = (await readMetrics(runDir)).filter((m) => m.split === 'val').map((m) => m.epoch);
  assert.deepEqual(epochs, [...new Set(epochs)], 'no epoch recorded twice');
});

test('a missing latest.json and a damaged newest checkpoint: resume uses the older intact one and says which file was wrong', async () => {
  const runDir = killedRun();
  const [older, newer] = checkpoints(runDir).slice(-2) as [string, string];
  const cp = path.join(runDir, 'checkpoints');
  fs.rmSync(path.join(cp, 'latest.json'));
  const weights = path.join(cp, newer, 'model-net', 'weights.bin');
  fs.truncateSync(weights, fs.statSync(weights).size - 100);
  const olderEpoch = Number(older.slice(1, 7));
  const { logs, state } = await resumeBriefly(runDir);
  assert.equal(state, 'cancelled');
  assert.match(logs, /latest\.json is missing; using the newest intact checkpoint/);
  assert.match(logs, new RegExp(`checkpoint ${newer} is damaged \\(.*model-net[/\\\\]weights\\.bin: \\d+ bytes, the checkpoint wrote \\d+\\)`));
  assert.match(logs, new RegExp(`resuming from checkpoint ${older}`));
  assert.match(logs, new RegExp(`stopped at epoch ${olderEpoch + 1}, step`), 'it went on from the older checkpoint');
  const epochs = (await readMetrics(runDir)).filter((m) => m.split === 'val').map((m) => m.epoch);
  assert.deepEqual(epochs, [...new Set(epochs)].sort((x, y) => x - y), 'nothing after the older checkpoint survived twice');
});

test('temp checkpoint folders an interrupted write left are removed on resume', async () => {
  const runDir = killedRun();
  const temp = path.join(runDir, 'checkpoints', `.e999999-s000000.${process.pid}.7.tmp`);
  fs.mkdirSync(path.join(temp, 'model-net'), { recursive: true });
  fs.writeFileSync(path.join(temp, 'model-net', 'weights.bin'), 'partial');
  const { logs } = await resumeBriefly(runDir);
  assert.match(logs, /removed .*\.e999999-s000000\..*\.tmp, left by an interrupted write/);
  assert.ok(!fs.existsSync(temp));
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.endsWith('.tmp')), []);
});

test('a run with recorded epochs but no checkpoint is not retrained from epoch 0 over its metrics', async () => {
  const runDir = killedRun();
  const before = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
  assert.ok(before.length > 0);
  fs.rmSync(path.join(runDir, 'checkpoints'), { recursive: true });
  const stop = new AbortController();
  const resume = runExperiment(undefined, { resume: runDir, signal: stop.signal, onEvent: (e) => e.kind === 'progress' && stop.abort() });
  await assert.rejects(resume, /has recorded \d+ epoch\(s\) but no intact checkpoint to resume from; refusing to start it again from scratch/);
  assert.equal(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8'), before, 'the metrics are untouched');
});
