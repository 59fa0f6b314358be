/**
 * Typed message definitions. A message is declared once, with its method name, the schema of
 * its parameters (TypeBox: one declaration gives the TypeScript type and the runtime check) and
 * its result type; both ends use the same constant, so nobody spells a method twice, and the
 * receiving end validates what arrives against the same schema (see ./validate).
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

export interface RequestDef<P, R> {
  readonly method: string;
  /** What the receiver accepts as params (checked where the message enters). */
  readonly params: TSchema;
  /** Phantom field: carries the types only. */
  readonly __types?: (p: P) => R;
}

export interface NotificationDef<P> {
  readonly method: string;
  readonly params: TSchema;
  readonly __types?: (p: P) => void;
}

export function request<S extends TSchema, R>(method: string, params: S): RequestDef<Static<S>, R> {
  return { method, params };
}

export function notification<S extends TSchema>(method: string, params: S): NotificationDef<Static<S>> {
  return { method, params };
}

export type ParamsOf<D> = D extends RequestDef<infer P, unknown> ? P : D extends NotificationDef<infer P> ? P : never;
export type ResultOf<D> = D extends RequestDef<unknown, infer R> ? R : never;

/**
 * A webview channel's request map from one schema per method and one result type per method:
 * `{ m: { params: Static<schema>; result: R } }`, so params are declared once, as a schema.
 */
export type RequestsFrom<S extends Record<string, TSchema>, R extends { [K in keyof S]: unknown }> = {
  [K in keyof S]: { params: Static<S[K]>; result: R[K] };
};

/** A webview channel's event map from one payload schema per event. */
export type EventsFrom<S extends Record<string, TSchema>> = { [K in keyof S]: Static<S[K]> };

/**
 * The params schema of a message only the server sends (server -> client): typed, not checked on
 * receipt, because the client trusts the server it started. Everything a client, a webview or a
 * file can send is checked.
 */
export const FromServer = <T>(): TUnsafe<T> => Type.Unsafe<T>(Type.Any());
