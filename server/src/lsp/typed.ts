/** Typed wrappers over vscode-languageserver's string-method API, keyed by protocol defs. */
import type { CancellationToken, Connection } from 'vscode-languageserver/node';
import { ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import type { NotificationDef, RequestDef } from '../protocol';

export function onRequest<P, R>(
  connection: Connection,
  def: RequestDef<P, R>,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  connection.onRequest(def.method, async (params: P, token: CancellationToken) => {
    try {
      return await handler(params, token);
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      // A failing handler answers with a JSON-RPC error the caller sees, never a crash.
      throw new ResponseError(ErrorCodes.InternalError, e instanceof Error ? e.message : String(e));
    }
  });
}

export function sendNotification<P>(connection: Connection, def: NotificationDef<P>, params: P): void {
  void connection.sendNotification(def.method, params);
}

/** Throws an InvalidParams JSON-RPC error with a specific message. */
export function invalidParams(message: string): never {
  throw new ResponseError(ErrorCodes.InvalidParams, message);
}
