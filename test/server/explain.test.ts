/**
 * Explanations over real LSP: the built server answers the four explanation requests, streams
 * kernel interpretation with work-done progress, and stops it on $/cancelRequest.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { ExplainLayersRequest, GradCamRequest, KernelInterpretRequest, KernelProgressNotification, TopKernelsRequest, type KernelProgressParams, type KernelResult } from '../../server/src/protocol';
import { base64ToFloat32 } from '../../server/src/explain/encode';
import { ensureBackend } from '../../server/src/engine/backend';
import { startServer, type TestServer } from './lspClient';
import { makeImages, saveRun, SIZE, tempDir, tinyCnn } from '../unit/explain/fixtures';

let dir = '';
let image = '';
let server: TestServer;
const streams = new Map<string, KernelProgressParams[]>();
const progress: { token: string | number; value: { kind: string; percentage?: number; message?: string } }[] = [];
const waiters: (() => void)[] = [];

before(async () => {
  await ensureBackend();
  dir = tempDir('server');
  const model = tinyCnn(3);
  await saveRun(path.join(dir, 'run'), model);
  model.dispose();
  image = makeImages(path.join(dir, 'images'), 2, 11)[1]!.path;
  server = await startServer({ workspace: dir });
  server.onNotification(KernelProgressNotification, (p) => {
    streams.set(p.streamId, [...(streams.get(p.streamId) ?? []), p]);
    for (const w of waiters.splice(0)) w();
  });
  server.conn.onRequest('window/workDoneProgress/create', () => null);
  server.conn.onNotification('$/progress', (p: (typeof progress)[number]) => progress.push(p));
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves when `pred` holds, re-checked on every progress notification. */
function until(pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (pred() ? resolve() : waiters.push(check));
    check();
  });
}

test('the layers of a run are listed by name, with the last convolutional block as default', async () => {
  const r = await server.request(ExplainLayersRequest, { runDir: 'run' });
  assert.equal(r.defaultLayer, 'last');
  assert.deepEqual(r.classes, ['clear', 'lesion']);
  assert.deepEqual(
    r.layers.filter((l) => l.spatial).map((l) => l.name),
    ['conv1', 'pool1', 'conv2', 'pool2', 'last'],
  );
});

test('Grad-CAM answers a heatmap on the image grid, in [0, 1]', async () => {
  const r = await server.request(GradCamRequest, { runDir: 'run', imagePath: image, method: 'gradcam++', classIndex: 1 });
  assert.deepEqual(r.dims, [SIZE, SIZE]);
  assert.equal(r.classIndex, 1);
  assert.equal(r.className, 'lesion');
  assert.equal(r.method, 'gradcam++');
  const heat = base64ToFloat32(r.heatmap);
  assert.equal(heat.length, SIZE * SIZE);
  assert.ok(heat.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.max(...heat) > 0.9);
  assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
});

test('top kernels are ranked by mean activation', async () => {
  const r = await server.request(TopKernelsRequest, { runDir: 'run', imagePath: image, count: 4 });
  assert.equal(r.layer, 'last');
  assert.equal(r.kernels.length, 4);
  for (let i = 1; i < 4; i++) assert.ok(r.kernels[i - 1]!.meanActivation >= r.kernels[i]!.meanActivation);
});

test('a bad request gets a specific error', async () => {
  await assert.rejects(server.request(GradCamRequest, { runDir: 'nowhere', imagePath: image }), /run folder .*nowhere does not exist/);
  await assert.rejects(server.request(GradCamRequest, { runDir: 'run', imagePath: image, layer: 'logits' }), /not a feature map/);
  await assert.rejects(server.request(KernelInterpretRequest, { runDir: 'run', imagePath: image, kernel: 0, streamId: '' }), /streamId is required/);
});

test('kernel interpretation streams its image and both losses, with work-done progress', async () => {
  const top = await server.request(TopKernelsRequest, { runDir: 'run', imagePath: image, count: 1 });
  const r: KernelResult = await server.request(KernelInterpretRequest, {
    runDir: 'run',
    imagePath: image,
    kernel: top.kernels[0]!.index,
    streamId: 's1',
    maxSteps: 20,
    streamEvery: 5,
    workDoneToken: 'tok-1',
    // 'last' is this tiny model's third convolution, whose reference weights (1000, 1, 100) barely
    // move x' in 20 steps; the later-layer weights show the optimisation acting.
    weights: { alpha: 1, beta: 1, gamma: 1 },
  });
  assert.equal(r.layer, 'last');
  assert.ok(r.lRest < 1, `L_rest ${r.lRest}`);
  assert.deepEqual(r.dims, [SIZE, SIZE]);
  assert.equal(base64ToFloat32(r.image).length, SIZE * SIZE);
  const s = streams.get('s1') ?? [];
  assert.deepEqual(
    s.map((p) => p.step),
    [5, 10, 15, 20, 20].slice(0, s.length),
  );
  assert.ok(s.length >= 4);
  for (const p of s) assert.equal(base64ToFloat32(p.image!).length, SIZE * SIZE);
  // The last streamed image is the result.
  assert.equal(s[s.length - 1]!.image, r.image);
  const mine = progress.filter((p) => p.token === 'tok-1').map((p) => p.value.kind);
  assert.equal(mine[0], 'begin');
  assert.ok(mine.includes('report'));
  assert.equal(mine[mine.length - 1], 'end');
});

test('$/cancelRequest stops kernel interpretation within a step; the last image is kept', async () => {
  const source = new CancellationTokenSource();
  const pending = server.conn.sendRequest(
    KernelInterpretRequest.method,
    { runDir: 'run', imagePath: image, kernel: 0, streamId: 'c1', maxSteps: 5000, streamEvery: 1 },
    source.token,
  ) as Promise<KernelResult>;
  await until(() => (streams.get('c1')?.length ?? 0) >= 5);
  const seen = streams.get('c1')!.length;
  source.cancel();
  const r = await pending;
  assert.equal(r.stopped, 'cancelled');
  // The server is at most a step ahead of the notification we saw, the cancel arrives during
  // the next one, and after it no further step starts.
  assert.ok(r.steps <= seen + 3, `stopped at step ${r.steps}, cancel sent after step ${seen}`);
  const s = streams.get('c1')!;
  assert.equal(s[s.length - 1]!.step, r.steps);
  assert.equal(s[s.length - 1]!.image, r.image);
  // Server-initiated progress (no token given) also ends.
  const created = progress.filter((p) => p.token !== 'tok-1').map((p) => p.value.kind);
  assert.equal(created[created.length - 1], 'end');
});
