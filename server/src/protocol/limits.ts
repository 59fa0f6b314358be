/**
 * Building blocks for message schemas, with the size limits every message obeys: a path is at
 * most 4096 characters (PATH_MAX), names and ids 256, free text 64 KiB, lists 100 000 items. A
 * 20 MB string is refused where it enters instead of reaching argv, a log or a file.
 */
import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

export const LIMITS = { path: 4096, name: 256, text: 65_536, items: 100_000 } as const;

/** A file or folder path (absolute, or relative to the first workspace folder). */
export const PathParam = Type.String({ minLength: 1, maxLength: LIMITS.path });
/** An id or a name (job id, layer name, class name, stream id). */
export const NameParam = Type.String({ minLength: 1, maxLength: LIMITS.name });
/** A message for a person. */
export const TextParam = Type.String({ maxLength: LIMITS.text });
/** A whole number >= 0 (ids, indexes, counts). */
export const IndexParam = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** A list with the common item limit. */
export const ListOf = <T extends TSchema>(item: T, maxItems: number = LIMITS.items) => Type.Array(item, { maxItems });
/** An object that refuses fields it does not declare (a typo gets an error naming it). */
export const Params = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });
/** A request without parameters (JSON-RPC may send none, null or {}). */
export const NoParams = Type.Union([Type.Undefined(), Type.Null(), Type.Object({}, { additionalProperties: false })]);
/** One of a few strings. */
export const OneOf = <const T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<TLiteral<T[number]>[]>;
