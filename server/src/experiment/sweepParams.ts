/**
 * Which keys a `sweep.params` entry may vary, and the schema its values are checked against:
 * `method`, or `section.key` for any scalar key of train, model and the methods' sections.
 */
import { experimentSchema, schemaAt, type SchemaNode } from './schema';

export const SWEEPABLE_SECTIONS = ['train', 'model', 'care', 'glmae', 'disco', 'longtail'] as const;

/** The schema node a swept key's values must satisfy, or a message saying why the key cannot be swept. */
export function sweepTarget(key: string): SchemaNode | string {
  if (key === 'method') return schemaAt(['method'])!;
  const parts = key.split('.');
  const where = `a ${SWEEPABLE_SECTIONS.map((s) => `${s}.*`).join(', ')} key, or method`;
  if (parts.length !== 2 || !(SWEEPABLE_SECTIONS as readonly string[]).includes(parts[0]!)) return `'${key}' cannot be swept: name ${where}`;
  const node = schemaAt(parts);
  if (!node) return `unknown key '${key}' in sweep.params`;
  if (node.kind === 'object' || node.kind === 'array' || node.kind === 'map') return `'${key}' cannot be swept: only single values can (${where})`;
  return node;
}

/** The `{ min, max, log }` form of a numeric key (random strategy), bounded by the key's own limits. */
export function rangeSchema(target: Extract<SchemaNode, { kind: 'number' }>): SchemaNode {
  const bound = { kind: 'number' as const, doc: 'A bound of the range.', min: target.min, max: target.max, integer: target.integer };
  return { kind: 'object', doc: 'A range to draw from.', keys: { min: bound, max: bound, log: { kind: 'boolean', doc: 'Draw uniformly in log space.' } }, required: ['min', 'max'] };
}

/** Every key a sweep may vary, with its schema (completion in `sweep.params`). */
export function sweepableKeys(): [string, SchemaNode][] {
  const out: [string, SchemaNode][] = [['method', schemaAt(['method'])!]];
  if (experimentSchema.kind !== 'object') return out;
  for (const section of SWEEPABLE_SECTIONS) {
    const node = experimentSchema.keys[section];
    if (node?.kind !== 'object') continue;
    for (const [k, child] of Object.entries(node.keys)) if (typeof sweepTarget(`${section}.${k}`) !== 'string') out.push([`${section}.${k}`, child]);
  }
  return out;
}
