/**
 * The webview side of the extension <-> webview channel: wraps acquireVsCodeApi() and the
 * shared WebviewChannel, plus typed persisted state (restored after hide/show and reload).
 */
// The channel only, not the index: the schemas (and their library) stay out of the webview bundles.
import { WebviewChannel, type EventMap, type RequestMap, type WireMessage } from '../../../server/src/protocol/webviewChannel';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;
function vscodeApi(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}

export function connect<SendReq extends RequestMap, RecvReq extends RequestMap, SendEv extends EventMap, RecvEv extends EventMap>(
  timeoutMs = 30_000,
): WebviewChannel<SendReq, RecvReq, SendEv, RecvEv> {
  const ch = new WebviewChannel<SendReq, RecvReq, SendEv, RecvEv>((m: WireMessage) => vscodeApi().postMessage(m), timeoutMs);
  window.addEventListener('message', (e: MessageEvent) => ch.receive(e.data));
  return ch;
}

export function getState<T>(): T | undefined {
  return (vscodeApi().getState() as T | undefined) ?? undefined;
}

export function setState<T>(s: T): void {
  vscodeApi().setState(s);
}
