/**
 * What the extension host checks on messages from its webviews (their params and payloads
 * against the protocol's schemas), and the one folder outside the workspace the compute server
 * may write to (decoded volumes for the viewer).
 */
import * as vscode from 'vscode';
import type { TSchema } from '@sinclair/typebox';
import type { IncomingCheck } from '../../server/src/protocol';
import { incomingChecker } from '../../server/src/protocol/validate';

/** Checks for one webview's messages; an event that fails is dropped and logged to the output channel. */
export function webviewChecks(panel: string, requests: Record<string, TSchema>, events: Record<string, TSchema>, output: vscode.OutputChannel): IncomingCheck {
  return incomingChecker(requests, events, (type, problem) => output.appendLine(`${panel}: webview event '${type}' ignored: ${problem}`));
}

/** The viewer's decode cache (in the extension's global storage): the server writes decoded volumes only there. */
export function decodeCacheDir(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.globalStorageUri, 'viewer-cache');
}
