import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import type { MedStudioApi } from '../../../extension/src/extension';
import type { ComputeStatus } from '../../../server/src/protocol';

const LADDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

async function api(): Promise<MedStudioApi> {
  const ext = vscode.extensions.getExtension<MedStudioApi>('medstudio.medstudio');
  assert.ok(ext, 'the MedStudio extension is installed in the host');
  return ext.isActive ? ext.exports : await ext.activate();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

suite('MedStudio in a real VS Code host', () => {
  test('the extension activates from its command and contributes its commands', async () => {
    await api();
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['medstudio.showComputeStatus', 'medstudio.restartServer']) assert.ok(cmds.includes(c), `${c} is registered`);
  });

  test('Show Compute Status reports the backend picked by the running server', async () => {
    const a = await api();
    const status = (await vscode.commands.executeCommand('medstudio.showComputeStatus')) as ComputeStatus;
    assert.ok(LADDER.includes(status.backend), `backend ${status.backend}`);
    assert.ok(status.pid > 0 && status.pid !== process.pid, 'the server is its own process');
    const text = await until('the status bar to show the backend', async () => (a.statusBarText().includes(status.backend) ? a.statusBarText() : undefined));
    assert.match(text, /MedStudio/);
  });

  test('killing the server process leads to an automatic restart', async () => {
    const a = await api();
    const before = await a.computeStatus();
    const restarts = a.serverRestarts();
    process.kill(before.pid, 'SIGKILL');
    const after = await until('a restarted server', async () => {
      const s = await a.computeStatus();
      return s.pid !== before.pid ? s : undefined;
    });
    assert.ok(LADDER.includes(after.backend));
    assert.ok(a.serverRestarts() > restarts, 'the client counted the restart');
  });
});
