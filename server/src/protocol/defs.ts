/**
 * Typed message definitions. A message is declared once, with its method name and its
 * parameter/result types; both ends use the same constant, so nobody spells a method twice.
 * No runtime dependency: the webviews import this too.
 */
export interface RequestDef<P, R> {
  readonly method: string;
  /** Phantom field: carries the types only. */
  readonly __types?: (p: P) => R;
}

export interface NotificationDef<P> {
  readonly method: string;
  readonly __types?: (p: P) => void;
}

export function request<P, R>(method: string): RequestDef<P, R> {
  return { method };
}

export function notification<P>(method: string): NotificationDef<P> {
  return { method };
}

export type ParamsOf<D> = D extends RequestDef<infer P, unknown> ? P : D extends NotificationDef<infer P> ? P : never;
export type ResultOf<D> = D extends RequestDef<unknown, infer R> ? R : never;
