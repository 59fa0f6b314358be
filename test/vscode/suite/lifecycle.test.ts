/**
 * The compute server's lifecycle as a user meets it: killed servers come back as ONE server (one
 * set of diagnostics, one "Train" CodeLens), Restart replaces the client rather than adding one,
 * and a server that cannot start is retried a few times and then reported once, with its cause.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MedStudioApi } from '../../../extension/src/extension';
import { api, until } from './helpers';

/** server.js processes the extension host started (Linux /proc). */
function serverPids(extensionPath: string): number[] {
  const script = path.join(extensionPath, 'dist', 'server.js');
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid && cmd.includes(script)) pids.push(Number(d));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

function extensionPath(): string {
  return vscode.extensions.getExtension('medstudio.medstudio')!.extensionPath;
}

/** An open experiment with one unknown key: the server reports it as a diagnostic. */
async function openExperiment(): Promise<vscode.Uri> {
  const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const file = path.join(ws, 'lifecycle.medstudio.yaml');
  fs.writeFileSync(
    file,
    'method: supervised\nbogusKey: 1\ndata: { format: csv, path: samples/skin-lesions/labels.csv }\nmodel: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }\ntrain: { epochs: 1 }\n',
  );
  const uri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  return uri;
}

async function trainLenses(uri: vscode.Uri): Promise<number> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.filter((l) => /\bTrain$/.test(l.command?.title ?? '')).length;
}

/** Exactly one server, answering, with one set of diagnostics and one "Train" lens. */
async function assertOneServer(a: MedStudioApi, uri: vscode.Uri, diagnostics: number, why: string): Promise<number> {
  const status = await a.computeStatus();
  assert.deepEqual(serverPids(extensionPath()), [status.pid], `${why}: exactly one server process, the one answering`);
  await until('the diagnostics to be published again', () => (vscode.languages.getDiagnostics(uri).length >= diagnostics ? true : undefined));
  assert.equal(vscode.languages.getDiagnostics(uri).length, diagnostics, `${why}: one set of diagnostics`);
  assert.equal(await until('a Train CodeLens', async () => ((await trainLenses(uri)) > 0 ? trainLenses(uri) : undefined)), 1, `${why}: one Train CodeLens`);
  return status.pid;
}

suite('Compute server lifecycle', function () {
  if (process.platform !== 'linux') return;
  let uri: vscode.Uri;
  let diagnostics = 0;

  suiteSetup(async () => {
    const a = await api();
    await a.server.restart(); // a clean start, whatever earlier suites did
    uri = await openExperiment();
    diagnostics = await until('the unknown key to be reported', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.some((x) => /bogusKey/.test(x.message)) ? d.length : undefined;
    });
  });
  suiteTeardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('a server killed twice comes back as one server, with one set of diagnostics and one CodeLens', async () => {
    const a = await api();
    let pid = await assertOneServer(a, uri, diagnostics, 'at start');
    for (const round of [1, 2]) {
      process.kill(pid, 'SIGKILL');
      await until('a new server', async () => ((await a.computeStatus()).pid !== pid ? true : undefined));
      pid = await assertOneServer(a, uri, diagnostics, `after kill ${round}`);
    }
  });

  test('Restart Server twice in a row replaces the client: one server remains', async () => {
    const a = await api();
    const before = (await a.computeStatus()).pid;
    await Promise.all([vscode.commands.executeCommand('medstudio.restartServer'), vscode.commands.executeCommand('medstudio.restartServer')]);
    const after = await assertOneServer(a, uri, diagnostics, 'after two restarts');
    assert.notEqual(after, before, 'a new server process');
  });

  test('a server that fails at start is retried with back-off, then reported once with its cause; Restart brings it back', async () => {
    const a = await api();
    const script = path.join(extensionPath(), 'dist', 'server.js');
    const hidden = `${script}.hidden`;
    const messages = a.server.failureMessages;
    fs.renameSync(script, hidden);
    const t0 = Date.now();
    let outcome: unknown = 'resolved';
    try {
      await vscode.commands.executeCommand('medstudio.restartServer');
    } catch (e) {
      outcome = e;
    } finally {
      fs.renameSync(hidden, script);
    }
    const took = Date.now() - t0;
    assert.match(String(outcome), /could not start/, `Restart fails, saying so (after ${took} ms; failure: ${a.server.failure}; server pids: ${serverPids(extensionPath()).join(',')})`);
    assert.equal(a.server.failureMessages, messages + 1, 'one message, not one per attempt');
    assert.match(a.server.failure ?? '', /Cannot find module/, 'the message names the cause');
    assert.ok(took > 3000 && took < 60_000, `retried with back-off, then gave up (${took} ms)`);
    assert.deepEqual(serverPids(extensionPath()), [], 'no server left behind');
    assert.match(a.statusBarText(), /\$\(error\)/, 'the status bar says the server is down');
    await vscode.commands.executeCommand('medstudio.restartServer');
    assert.equal(a.server.failure, undefined);
    await assertOneServer(a, uri, diagnostics, 'after Restart');
  });
});
