import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComputeStatusRequest, ServerStateNotification, type ServerStateParams } from '../../server/src/protocol';
import { startServer } from './lspClient';
import { loadNative } from '../../server/src/engine/native/loadNative';

test('the server initializes over LSP, reports its compute backend and shuts down cleanly', async () => {
  const s = await startServer();
  try {
    assert.equal(s.init.serverInfo?.name, 'medstudio-server');
    const status = await s.request(ComputeStatusRequest, undefined);
    assert.ok(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'].includes(status.backend));
    assert.equal(status.pid, s.proc.pid);
    assert.ok(status.versions['tfjs-core']);
    // The bundled server finds and loads the native kernels wherever npm ci could build them.
    if (loadNative().addon && status.backend === 'wasm') assert.match(String(status.details.nativeKernels), /^oneDNN \d/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('a malformed or unknown request gets a JSON-RPC error and the server keeps running', async () => {
  const s = await startServer();
  try {
    await assert.rejects(s.conn.sendRequest('medstudio/noSuchMethod', { x: 1 }), (e: { code?: number }) => e.code === -32601);
    // Garbage params to a real method: still an error response, not a crash.
    await assert.rejects(s.conn.sendRequest('textDocument/hover', { nonsense: true }));
    const status = await s.request(ComputeStatusRequest, undefined);
    assert.ok(status.backend);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('on wasm without the native kernels, the server tells the status bar so and why', async () => {
  const s = await startServer({ init: { backend: 'wasm' }, env: { MEDSTUDIO_NATIVE: '0' } });
  try {
    const ready = await new Promise<ServerStateParams>((resolve) => s.onNotification(ServerStateNotification, (p) => p.state !== 'starting' && resolve(p)));
    assert.equal(ready.state, 'ready');
    assert.equal(ready.backend, 'wasm');
    assert.equal(ready.kernels, undefined);
    assert.match(ready.kernelsMissing ?? '', /turned off \(MEDSTUDIO_NATIVE=0\)/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
