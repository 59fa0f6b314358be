/**
 * Checks a message's params against its schema where the message enters (the server for LSP
 * requests, the extension host for webview messages). The answer names the first bad field and
 * what it must be, and never echoes the value (it may be huge, or a file's contents).
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import type { IncomingCheck } from './webviewChannel';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

function fieldOf(e: ValueError): string {
  const p = e.path.split('/').filter(Boolean);
  return p.length ? p.join('.') : 'params';
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function literals(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf?.every((s) => s[Kind] === 'Literal')) return undefined;
  return anyOf.map((s) => String((s as unknown as { const: unknown }).const));
}

/** A number schema's bounds in interval notation: [0, 1), (0, inf]. */
function rangeOf(s: TSchema): string {
  const lo = s.exclusiveMinimum !== undefined ? `(${String(s.exclusiveMinimum)}` : s.minimum !== undefined ? `[${String(s.minimum)}` : '(-inf';
  const hi = s.exclusiveMaximum !== undefined ? `${String(s.exclusiveMaximum)})` : s.maximum !== undefined ? `${String(s.maximum)}]` : 'inf)';
  return `${lo}, ${hi}`;
}

/** "a", "a or b", "a, b or c". */
function orList(values: string[]): string {
  return values.length < 2 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** The member of a union of `{ kind: '...' }` objects that `value.kind` names. */
function variantOf(schema: TSchema, value: unknown): TSchema | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string') return undefined;
  return anyOf?.find((s) => (s as { properties?: { kind?: { const?: unknown } } }).properties?.kind?.const === kind);
}

/** The `kind` values of a union of `{ kind: '...' }` objects, quoted; undefined for other unions. */
function kindsOf(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  const kinds = anyOf?.map((s) => (s as { properties?: { kind?: { const?: unknown } } }).properties?.kind?.const);
  return kinds?.length && kinds.every((k) => typeof k === 'string') ? (kinds as string[]) : undefined;
}

function describe(e: ValueError, prefix: string): string {
  const field = [prefix, fieldOf(e)].filter((x) => x && x !== 'params').join('.') || 'params';
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${field} is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${field} is not a known field`;
    case ValueErrorType.StringMaxLength:
      return `${field} is too long (at most ${String(e.schema.maxLength)} characters, got ${kindOf(e.value).replace('a string of ', '')})`;
    case ValueErrorType.StringMinLength:
      return `${field} is required (it is empty)`;
    case ValueErrorType.ArrayMaxItems:
      return `${field} has too many items (at most ${String(e.schema.maxItems)})`;
    case ValueErrorType.Union: {
      const variant = variantOf(e.schema, e.value);
      if (variant) return explain(variant, e.value, field === 'params' ? '' : field) ?? `${field} has the wrong shape`;
      const kinds = kindsOf(e.schema);
      if (kinds && typeof e.value === 'object' && e.value !== null) return `${field === 'params' ? '' : `${field}.`}kind must be ${orList(kinds)}`;
      const values = literals(e.schema);
      if (values) return `${field} must be ${orList(values)}, not ${typeof e.value === 'string' && e.value.length <= 40 ? `'${e.value}'` : kindOf(e.value)}`;
      return `${field} has the wrong shape (${kindOf(e.value)})`;
    }
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `${field} must be in ${rangeOf(e.schema)}, got ${String(e.value)}`;
    default:
      return `${field}: ${e.message.replace(/^Expected/, 'expected')}, got ${kindOf(e.value)}`;
  }
}

function explain(schema: TSchema, value: unknown, prefix: string): string | undefined {
  if (Value.Check(schema, value)) return undefined;
  const first = Value.Errors(schema, value).First();
  return first ? describe(first, prefix) : 'params do not match the message schema';
}

/** Undefined when `value` fits `schema`; otherwise what is wrong, naming the field. */
export function checkParams(schema: TSchema, value: unknown): string | undefined {
  return explain(schema, value, '');
}

/**
 * The check a host-side WebviewChannel runs on what its webview sends: each request's params and
 * each event's payload against the protocol's schema maps; unknown events are refused too.
 */
export function incomingChecker(
  requests: Record<string, TSchema>,
  events: Record<string, TSchema>,
  rejected: (type: string, problem: string) => void,
): IncomingCheck {
  const get = (m: Record<string, TSchema>, k: string) => (Object.hasOwn(m, k) ? m[k] : undefined);
  return {
    request: (method, params) => {
      const schema = get(requests, method);
      return schema ? checkParams(schema, params) : 'no such request';
    },
    event: (type, payload) => {
      const schema = get(events, type);
      return schema ? checkParams(schema, payload) : 'no such event';
    },
    rejected,
  };
}
