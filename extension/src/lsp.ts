/** Typed request/notification helpers over vscode-languageclient, keyed by protocol defs. */
import type { CancellationToken } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { NotificationDef, RequestDef } from '../../server/src/protocol';

/**
 * One params object, never a list: vscode-jsonrpc counts an `undefined` token as a second
 * argument and would send `[params, null]`, which the server's schema check rightly refuses.
 */
export function sendRequest<P, R>(client: LanguageClient, def: RequestDef<P, R>, params: P, token?: CancellationToken): Promise<R> {
  return (token ? client.sendRequest(def.method, params, token) : client.sendRequest(def.method, params)) as Promise<R>;
}

export function onNotification<P>(client: LanguageClient, def: NotificationDef<P>, fn: (p: P) => void): { dispose(): void } {
  return client.onNotification(def.method, fn);
}
