/**
 * A job's own process: runs one training (or evaluation) and reports over Node IPC. Separate
 * from the language server so that long tensor work never blocks completion or hover, a crash
 * or out-of-memory kills only the job, and cancel can always end it.
 */
import { ensureBackend } from '../engine/backend';
import { runExperiment } from '../runs/runner';
import type { FromWorker, ToWorker, WorkerTask } from './workerProtocol';

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, undefined, undefined, () => resolve()) : resolve()));
}

/** The task arrives as the first IPC message. */
function nextTask(): Promise<WorkerTask> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('the job worker must be started by the server (no IPC channel)'));
    const onMessage = (m: ToWorker) => {
      if (m.type !== 'task') return;
      process.off('message', onMessage);
      resolve(m.task);
    };
    process.on('message', onMessage);
    process.once('disconnect', () => reject(new Error('the server went away before it sent the task')));
  });
}

async function main(): Promise<void> {
  const controller = new AbortController();
  process.on('message', (m: ToWorker) => {
    if (m.type === 'cancel' || m.type === 'pause') controller.abort(m.type);
  });
  const task = await nextTask();
  await ensureBackend({ backend: task.backend, threads: task.threads });
  if (task.action === 'evaluate') {
    const { evaluateRun } = await import('./evaluate');
    const metrics = await evaluateRun(task.runDir!, task.experimentPath);
    await send({ type: 'evaluated', metrics });
    return;
  }
  const outcome = await runExperiment(task.runDir ? undefined : task.experimentPath, {
    resume: task.runDir,
    outDir: task.outDir,
    signal: controller.signal,
    onRunCreated: (info) => void send({ type: 'created', info }),
    onEvent: (event) => void send({ type: 'event', event }),
  });
  await send({ type: 'done', info: outcome.info });
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
);
