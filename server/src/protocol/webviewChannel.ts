/**
 * The request/response/event channel used between the extension host and each webview.
 * Transport-agnostic (postMessage on one side, webview.postMessage on the other), so both
 * ends share this code. Requests carry ids, time out, and errors reach the caller.
 */
export type RequestMap = Record<string, { params: unknown; result: unknown }>;
export type EventMap = Record<string, unknown>;

export type WireMessage =
  | { kind: 'request'; id: number; method: string; params: unknown }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'event'; type: string; payload: unknown };

/** The envelope's shape (ids, names); what it carries is checked by IncomingCheck. */
export function isWireMessage(m: unknown): m is WireMessage {
  if (typeof m !== 'object' || m === null) return false;
  const w = m as { kind?: unknown; id?: unknown; method?: unknown; type?: unknown; ok?: unknown };
  const name = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 256;
  if (w.kind === 'request') return Number.isSafeInteger(w.id) && name(w.method);
  if (w.kind === 'response') return Number.isSafeInteger(w.id) && typeof w.ok === 'boolean';
  return w.kind === 'event' && name(w.type);
}

/**
 * Checks what the other side sent before a handler or listener sees it (the host passes one made
 * from the protocol's schemas, see validate.ts `incomingChecker`; the webview trusts its host).
 * Returns what is wrong, or undefined when the message is fine.
 */
export interface IncomingCheck {
  request(method: string, params: unknown): string | undefined;
  event(type: string, payload: unknown): string | undefined;
  /** An event that failed its check (dropped): say so somewhere a person or a test can see. */
  rejected(type: string, problem: string): void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class WebviewChannel<
  SendReq extends RequestMap,
  RecvReq extends RequestMap,
  SendEv extends EventMap,
  RecvEv extends EventMap,
> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, (p: unknown) => unknown>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  constructor(
    private readonly post: (m: WireMessage) => void,
    private readonly defaultTimeoutMs = 30_000,
    private readonly incoming?: IncomingCheck,
  ) {}

  request<M extends keyof SendReq & string>(
    method: M,
    params: SendReq[M]['params'],
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<SendReq[M]['result']> {
    const id = this.nextId++;
    return new Promise<SendReq[M]['result']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request '${method}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ kind: 'request', id, method, params });
    });
  }

  handle<M extends keyof RecvReq & string>(
    method: M,
    fn: (params: RecvReq[M]['params']) => RecvReq[M]['result'] | Promise<RecvReq[M]['result']>,
  ): void {
    this.handlers.set(method, fn as (p: unknown) => unknown);
  }

  emit<E extends keyof SendEv & string>(type: E, payload: SendEv[E]): void {
    this.post({ kind: 'event', type, payload });
  }

  on<E extends keyof RecvEv & string>(type: E, fn: (payload: RecvEv[E]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const f = fn as (p: unknown) => void;
    set.add(f);
    return () => set!.delete(f);
  }

  /** Feed every message received from the other side here. Unknown shapes are ignored. */
  receive(msg: unknown): void {
    if (!isWireMessage(msg)) return;
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    } else if (msg.kind === 'request') {
      void this.answer(msg.id, msg.method, msg.params);
    } else {
      const problem = this.incoming?.event(msg.type, msg.payload);
      if (problem) return this.incoming!.rejected(msg.type, problem);
      for (const fn of this.listeners.get(msg.type) ?? []) fn(msg.payload);
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const fn = this.handlers.get(method);
    if (!fn) {
      this.post({ kind: 'response', id, ok: false, error: `no handler for '${String(method).slice(0, 100)}'` });
      return;
    }
    const problem = this.incoming?.request(method, params);
    if (problem) {
      this.post({ kind: 'response', id, ok: false, error: `${method}: ${problem}` });
      return;
    }
    try {
      const result = await fn(params);
      this.post({ kind: 'response', id, ok: true, result });
    } catch (e) {
      this.post({ kind: 'response', id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Rejects everything still pending (the panel closed). */
  dispose(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('channel closed'));
      this.pending.delete(id);
    }
    this.handlers.clear();
    this.listeners.clear();
  }
}
