/** What the host-layer tests share: the extension's API, polling, job events, a tiny experiment. */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MedStudioApi } from '../../../extension/src/extension';
import type { JobEvent } from '../../../server/src/protocol';

export async function api(): Promise<MedStudioApi> {
  const ext = vscode.extensions.getExtension<MedStudioApi>('medstudio.medstudio');
  assert.ok(ext, 'the MedStudio extension is installed in the host');
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Polls `fn` until it returns a value (errors count as "not yet"), or fails naming `what`. */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
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

/**
 * Turns VS Code's auto-save off for the calling suite and restores the user's setting after it:
 * code-server saves after a delay by default, and these tests decide themselves when to save.
 */
export function autoSaveOffForSuite(): void {
  let autoSave: string | undefined;
  suiteSetup(async () => {
    const files = vscode.workspace.getConfiguration('files');
    autoSave = files.inspect<string>('autoSave')?.globalValue;
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
  });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('files').update('autoSave', autoSave, vscode.ConfigurationTarget.Global);
  });
}

/** Resolves with the first job event `pick` maps to a value. */
export function waitForJobEvent<T>(what: string, a: MedStudioApi, pick: (e: JobEvent) => T | undefined, timeoutMs = 240_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const sub = a.jobs.onEvent((e) => {
      const v = pick(e);
      if (v === undefined) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}

/** A tiny experiment on the bundled skin-lesion samples: seconds, not minutes. */
export function tinyExperiment(name: string, epochs: number): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const file = path.join(ws, `${name}.medstudio.yaml`);
  fs.writeFileSync(
    file,
    `method: supervised
data: { format: csv, path: samples/skin-lesions/labels.csv }
model: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }
train: { epochs: ${epochs}, batchSize: 32, lr: 0.003, seed: 2 }
`,
  );
  return vscode.Uri.file(file);
}
