/**
 * Parses and validates an experiment file against the schema, with exact source ranges for
 * every problem (the language server shows them as diagnostics; the CLI prints them with the
 * line). Fills defaults and resolves paths relative to the file.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import * as path from 'node:path';
import { experimentSchema, METHODS, type SchemaNode } from './schema';
import type { Experiment } from './types';
import { rangeSchema, sweepTarget } from './sweepParams';
import { applyBackboneDefaults, MOVED_KEYS } from './backboneDefaults';

export interface Position {
  line: number; // 0-based
  character: number; // 0-based
}
export interface Problem {
  message: string;
  severity: 'error' | 'warning';
  start: Position;
  end: Position;
  /** Key path of the offending value, e.g. ['train', 'lr']. */
  path: (string | number)[];
  /** Text that fixes it when put in place of the range (a misspelt key's nearest known key). */
  replacement?: string;
}

export interface ParseResult {
  /** Present only when there are no errors. */
  experiment?: Experiment;
  /** The raw data (even with errors), for completion and hover. */
  raw: unknown;
  problems: Problem[];
}

export class ExperimentError extends Error {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(`${file}: ${problems.map((p) => `line ${p.start.line + 1}: ${p.message}`).join('; ')}`);
  }
}

function describeKind(n: SchemaNode): string {
  if (n.kind === 'number') return n.integer ? 'a whole number' : 'a number';
  if (n.kind === 'string') return n.enum ? `one of ${n.enum.join(', ')}` : 'a string';
  if (n.kind === 'boolean') return 'true or false';
  if (n.kind === 'array') return 'a list';
  if (n.kind === 'map') return 'a mapping of section.key to values';
  return 'a mapping of keys';
}

/** Validates one YAML node against a schema node, recording problems with ranges. */
function validate(node: YamlNode | null | undefined, schema: SchemaNode, keyPath: (string | number)[], at: (n: YamlNode | Pair['key'] | null | undefined) => [Position, Position], out: Problem[]): void {
  const problem = (message: string, n: YamlNode | Pair['key'] | null | undefined = node, replacement?: string) => {
    const [start, end] = at(n);
    out.push({ message, severity: 'error', start, end, path: keyPath, ...(replacement ? { replacement } : {}) });
  };
  const name = keyPath.join('.') || 'the experiment';
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
    problem(`'${name}' has no value: expected ${describeKind(schema)}`);
    return;
  }
  switch (schema.kind) {
    case 'object': {
      if (!isMap(node)) return problem(`'${name}' must be ${describeKind(schema)}`);
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) problem(`duplicate key '${key}'`, pair.key);
        seen.add(key);
        const child = schema.keys[key];
        if (!child) {
          const known = Object.keys(schema.keys);
          const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || levenshtein(k, key) <= 2);
          const moved = MOVED_KEYS[[...keyPath, key].join('.')];
          problem(moved ?? `unknown key '${key}'${keyPath.length ? ` in '${name}'` : ''}${near ? ` (did you mean '${near}'?)` : ''}`, pair.key, moved ? undefined : near);
          continue;
        }
        validate(pair.value as YamlNode, child, [...keyPath, key], at, out);
      }
      for (const req of schema.required ?? []) {
        if (!seen.has(req)) problem(`missing required key '${req}'${keyPath.length ? ` in '${name}'` : ''}`);
      }
      return;
    }
    case 'array': {
      if (!isSeq(node)) return problem(`'${name}' must be a list`);
      node.items.forEach((item, i) => validate(item as YamlNode, schema.items, [...keyPath, i], at, out));
      if (schema.minItems && node.items.length < schema.minItems) problem(`'${name}' needs at least ${schema.minItems} items`);
      return;
    }
    case 'string': {
      if (!isScalar(node) || typeof node.value !== 'string') {
        if (!(isScalar(node) && schema.enum === undefined && typeof node.value === 'number')) return problem(`'${name}' must be ${describeKind(schema)}`);
      }
      const v = String((node as { value: unknown }).value);
      if (schema.enum && !schema.enum.includes(v)) problem(`'${v}' is not a valid ${name}: expected ${describeKind(schema)}`);
      return;
    }
    case 'number': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) return problem(`'${name}' must be ${describeKind(schema)}`);
      const v = node.value;
      if (schema.integer && !Number.isInteger(v)) problem(`'${name}' must be a whole number, not ${v}`);
      if (schema.min !== undefined && v < schema.min) problem(`'${name}' must be at least ${schema.min}, not ${v}`);
      if (schema.max !== undefined && v > schema.max) problem(`'${name}' must be at most ${schema.max}, not ${v}`);
      return;
    }
    case 'boolean':
      if (!isScalar(node) || typeof node.value !== 'boolean') problem(`'${name}' must be true or false`);
      return;
    case 'map': {
      if (!isMap(node)) return problem(`'${name}' must be ${describeKind(schema)}`);
      if (!node.items.length) return problem(`'${name}' names no keys to vary`);
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const target = sweepTarget(key);
        if (typeof target === 'string') {
          problem(target, pair.key);
          continue;
        }
        const value = pair.value as YamlNode | null;
        if (isSeq(value)) {
          if (!value.items.length) problem(`'${key}' needs at least one value`, value);
          value.items.forEach((item, i) => validate(item as YamlNode, target, [...keyPath, key, i], at, out));
        } else if (isMap(value) && target.kind === 'number') validate(value, rangeSchema(target), [...keyPath, key], at, out);
        else problem(`'${key}' needs a list of values${target.kind === 'number' ? ' (or { min, max } for the random strategy)' : ''}`, value ?? pair.key);
      }
      return;
    }
  }
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Sections that stay absent unless written (a sweep or cluster block changes what a file means). */
const OPTIONAL_SECTIONS = new Set(['data', 'sweep', 'cluster', 'intensity']);

/** Fills defaults from the schema (recursively for objects that are present or have defaults). */
function withDefaults(value: unknown, schema: SchemaNode): unknown {
  if (schema.kind === 'object') {
    const src = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const out: Record<string, unknown> = { ...src };
    for (const [k, child] of Object.entries(schema.keys)) {
      if (child.kind === 'object') {
        if (src[k] !== undefined || !OPTIONAL_SECTIONS.has(k)) out[k] = withDefaults(src[k], child);
      } else if (out[k] === undefined && 'default' in child && child.default !== undefined) out[k] = child.default;
    }
    return out;
  }
  return value;
}

export function parseExperiment(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line - 1, character: p.col - 1 };
  };
  const at = (n: YamlNode | Pair['key'] | null | undefined): [Position, Position] => {
    const r = (n as { range?: [number, number, number] } | null | undefined)?.range;
    return r ? [pos(r[0]), pos(r[1])] : [pos(0), pos(0)];
  };
  const problems: Problem[] = [];
  for (const e of doc.errors) {
    problems.push({ message: `YAML syntax: ${e.message.split('\n')[0]}`, severity: 'error', start: pos(e.pos[0]), end: pos(e.pos[1]), path: [] });
  }
  const raw: unknown = doc.errors.length ? undefined : doc.toJS();
  if (!doc.errors.length) validate(doc.contents as YamlNode, experimentSchema, [], at, problems);

  if (problems.length === 0) {
    const exp = withDefaults(raw, experimentSchema) as Experiment & Record<string, unknown>;
    const dir = path.dirname(path.resolve(file));
    const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
    applyBackboneDefaults(exp, raw);
    exp.file = path.resolve(file);
    exp.name ??= path.basename(file).replace(/\.medstudio\.ya?ml$/, '');
    exp.data.path = abs(exp.data.path)!;
    exp.data.labels = abs(exp.data.labels);
    exp.data.split = abs(exp.data.split);
    exp.data.rare ??= [];
    if (exp.data.boxes) exp.data.boxes = { ...exp.data.boxes, path: abs(exp.data.boxes.path), model: abs(exp.data.boxes.model) };
    exp.init = abs(exp.init);
    exp.teacher = abs(exp.teacher);
    exp.output.dir = abs(exp.output.dir);
    // Cross-field checks (ranges point at the offending value).
    const rawData = (doc.get('data', true) as YamlNode | undefined) ?? null;
    const classes = exp.data.classes;
    if (classes && isMap(rawData)) {
      const rareNode = rawData.get('rare', true) as YamlNode | undefined;
      exp.data.rare.forEach((r, i) => {
        if (!classes.includes(r)) {
          const item = isSeq(rareNode) ? (rareNode.items[i] as YamlNode) : rareNode;
          const [start, end] = at(item);
          problems.push({ message: `rare class '${r}' is not in data.classes (${classes.join(', ')})`, severity: 'error', start, end, path: ['data', 'rare', i] });
        }
      });
    }
    if (exp.method === 'care' && exp.data.rare.length === 0) {
      const [start, end] = at(rawData);
      problems.push({ message: "method 'care' needs data.rare: the rare classes whose lesions get attention", severity: 'error', start, end, path: ['data'] });
    }
    if (exp.model.backbone === 'unet' && exp.method !== 'segment') {
      const [start, end] = at(doc.getIn(['model', 'backbone'], true) as YamlNode);
      problems.push({ message: `model.backbone 'unet' is the segmentation U-Net: it needs method 'segment' (not '${exp.method}')`, severity: 'error', start, end, path: ['model', 'backbone'] });
    }
    if ((exp.method === 'detect') !== (exp.data.format === 'coco')) {
      const [start, end] = at(doc.getIn(['data', 'format'], true) as YamlNode);
      problems.push({ message: exp.method === 'detect' ? "method 'detect' trains on COCO boxes: it needs data.format 'coco'" : `data.format 'coco' is the detector's box file: it needs method 'detect' (not '${exp.method}')`, severity: 'error', start, end, path: ['data', 'format'] });
    }
    // segment2d reads image + mask pairs (data.format images, masks in data.labels); nothing else reads that format.
    if ((exp.method === 'segment2d') !== (exp.data.format === 'images') || (exp.method === 'segment2d' && !exp.data.labels)) {
      const node = (isMap(rawData) ? (rawData.get(exp.method === 'segment2d' && exp.data.format === 'images' ? 'path' : 'format', true) as YamlNode | undefined) : undefined) ?? rawData;
      const [start, end] = at(node);
      const message =
        exp.method === 'segment2d'
          ? exp.data.format === 'images'
            ? "method 'segment2d' needs data.labels: the folder of masks (<image stem>.png or <image stem>_<anything>.png)"
            : `method 'segment2d' reads data.format 'images' (images in data.path, masks in data.labels), not '${exp.data.format}'`
          : `data.format 'images' (image + mask pairs) is for method 'segment2d', not '${exp.method}'`;
      problems.push({ message, severity: 'error', start, end, path: ['data', exp.method === 'segment2d' && exp.data.format === 'images' ? 'labels' : 'format'] });
    }
    const dataProblem = (key: string, message: string) => {
      const [start, end] = at(doc.getIn(['data', key], true) as YamlNode);
      problems.push({ message, severity: 'error', start, end, path: ['data', key] });
    };
    const { spacing, intensity } = exp.data;
    if (spacing && spacing.length !== 3) dataProblem('spacing', `data.spacing is [D, H, W] in mm: three values, not ${spacing.length}`);
    if (intensity) {
      const given = (['window', 'percentiles'] as const).filter((k) => intensity[k]);
      const range = given.length === 1 ? intensity[given[0]!]! : undefined;
      if (!range) dataProblem('intensity', 'data.intensity gives one of window: [lo, hi] or percentiles: [p, q]');
      else if (range.length !== 2 || !(range[0] < range[1])) dataProblem('intensity', `data.intensity.${given[0]} is [low, high] with low < high`);
    }
    if (exp.model.backbone === 'unet') {
      for (const k of ['spacing', 'intensity', 'patch'] as const) if (exp.data[k]) dataProblem(k, `data.${k} is for the ViT and GL-MAE; the U-Net plans spacing, normalisation and patches itself (see unet)`);
    }
    if (exp.method === 'disco' && !exp.teacher) {
      const [start, end] = at(doc.contents as YamlNode);
      problems.push({ message: "method 'disco' needs 'teacher': the run directory of a trained moco teacher", severity: 'error', start, end, path: [] });
    }
    if (exp.sweep) {
      const rawSweep = doc.getIn(['sweep', 'params'], true) as YamlNode | undefined;
      for (const [key, values] of Object.entries(exp.sweep.params)) {
        if (Array.isArray(values)) continue;
        if (exp.sweep.strategy === 'grid') {
          const [start, end] = at(isMap(rawSweep) ? (rawSweep.get(key, true) as YamlNode) : rawSweep);
          problems.push({ message: `'${key}' gives a range: a grid needs a list of values (or use strategy: random)`, severity: 'error', start, end, path: ['sweep', 'params', key] });
        } else if (values.min > values.max || (values.log && values.min <= 0)) {
          const [start, end] = at(isMap(rawSweep) ? (rawSweep.get(key, true) as YamlNode) : rawSweep);
          problems.push({ message: `'${key}': the range needs min <= max${values.log ? ' and min > 0 for log' : ''}`, severity: 'error', start, end, path: ['sweep', 'params', key] });
        }
      }
    }
    if (problems.length === 0) return { experiment: exp, raw, problems };
  }
  return { raw, problems };
}

export { METHODS };
