import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import type { ComputeStatus } from '../../../server/src/protocol';
import { api, until } from './helpers';

const LADDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

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
