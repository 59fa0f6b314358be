/** Typed wrappers over vscode-languageserver's string-method API, keyed by protocol defs. */
import type { CancellationToken, Connection } from 'vscode-languageserver/node';
import { ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import type { NotificationDef, RequestDef } from '../protocol';
import { checkParams } from '../protocol/validate';

/**
 * The params vscode-jsonrpc hands a string-method handler: none (only the token), one object, or
 * a spread array. Ours are always one object, so anything else is passed on as it came, to fail
 * the schema check with a clear message.
 */
function paramsOf(args: unknown[]): unknown {
  const rest = args.slice(0, -1);
  return rest.length <= 1 ? rest[0] : rest;
}

export function onRequest<P, R>(
  connection: Connection,
  def: RequestDef<P, R>,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  connection.onRequest(def.method, async (...args: unknown[]) => {
    const token = args[args.length - 1] as CancellationToken;
    const params = paramsOf(args);
    // Checked where it enters: a bad request gets InvalidParams naming the field, never a handler call.
    const problem = checkParams(def.params, params);
    if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `${def.method}: ${problem}`);
    try {
      return await handler(params as P, token);
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      // A failing handler answers with a JSON-RPC error the caller sees, never a crash.
      throw new ResponseError(ErrorCodes.InternalError, e instanceof Error ? e.message : String(e));
    }
  });
}

/** Listens to a client notification; one that fails its schema is logged and dropped. */
export function onNotification<P>(connection: Connection, def: NotificationDef<P>, handler: (params: P) => void, log: (msg: string) => void): void {
  connection.onNotification(def.method, (...args: unknown[]) => {
    const params = args.length <= 1 ? args[0] : args;
    const problem = checkParams(def.params, params);
    if (problem) return log(`${def.method} ignored: ${problem}`);
    handler(params as P);
  });
}

export function sendNotification<P>(connection: Connection, def: NotificationDef<P>, params: P): void {
  void connection.sendNotification(def.method, params);
}

/** Throws an InvalidParams JSON-RPC error with a specific message. */
export function invalidParams(message: string): never {
  throw new ResponseError(ErrorCodes.InvalidParams, message);
}
