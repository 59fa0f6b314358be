/**
 * Diagnostics for experiment files: schema problems (unknown keys, bad values) plus checks
 * against the file system: missing files, and classes not found in the data — each with the
 * exact range of the offending value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseExperiment, type Problem } from '../experiment/parse';
import { schemaAt } from '../experiment/schema';
import { isConfined } from '../paths/confine';
import { classesInData } from './dataClasses';

interface Located {
  path: (string | number)[];
  node: YamlNode;
}

/** Every scalar value in the document with its key path. */
function scalars(node: YamlNode | null | undefined, at: (string | number)[], out: Located[]): void {
  if (!node) return;
  if (isMap(node)) for (const p of node.items) scalars(p.value as YamlNode, [...at, isScalar(p.key) ? String(p.key.value) : String(p.key)], out);
  else if (isSeq(node)) node.items.forEach((it, i) => scalars(it as YamlNode, [...at, i], out));
  else if (isScalar(node)) out.push({ path: at, node });
}

/** `dataRoots`: where the data may be read to check class names (the workspace folders); unset, anywhere (the CLI). */
export function experimentDiagnostics(text: string, file: string, dataRoots?: readonly string[]): Problem[] {
  const result = parseExperiment(text, file);
  const problems = [...result.problems];
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) return problems;
  const pos = (o: number) => {
    const p = lc.linePos(o);
    return { line: p.line - 1, character: p.col - 1 };
  };
  const dir = path.dirname(file);
  const values: Located[] = [];
  scalars(doc.contents as YamlNode, [], values);
  for (const v of values) {
    const schema = schemaAt(v.path);
    if (schema?.kind !== 'string' || !schema.path || typeof (v.node as { value: unknown }).value !== 'string') continue;
    const rel = String((v.node as { value: unknown }).value);
    const abs = path.resolve(dir, rel);
    const r = v.node.range!;
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(abs);
    } catch {
      stat = undefined;
    }
    const msg = !stat
      ? `'${rel}' does not exist (resolved to ${abs})`
      : schema.path === 'file' && !stat.isFile()
        ? `'${rel}' is a folder, a file is expected`
        : schema.path === 'dir' && !stat.isDirectory()
          ? `'${rel}' is a file, a folder is expected`
          : undefined;
    if (msg) problems.push({ message: msg, severity: 'error', start: pos(r[0]), end: pos(r[1]), path: v.path });
  }
  // Classes named in the file but absent from the data.
  const raw = result.raw as { data?: { format?: string; path?: string } } | undefined;
  const dataPath = raw?.data?.path ? path.resolve(dir, raw.data.path) : undefined;
  // Only data inside the workspace is listed: a class list quotes folder names or file contents.
  const readable = dataPath !== undefined && (!dataRoots || isConfined(dataPath, dataRoots));
  if (dataPath && !readable) {
    const v = values.find((x) => x.path.join('.') === 'data.path');
    const r = v?.node.range;
    if (r) problems.push({ message: `data.path is outside the workspace folders: the classes in the data are not checked`, severity: 'warning', start: pos(r[0]), end: pos(r[1]), path: v.path });
  }
  if (dataPath && readable && raw?.data?.format) {
    const found = classesInData(raw.data.format, dataPath);
    if (found) {
      for (const v of values) {
        if (v.path[0] !== 'data' || (v.path[1] !== 'classes' && v.path[1] !== 'rare') || v.path.length !== 3) continue;
        const name = String((v.node as { value: unknown }).value);
        if (!found.includes(name)) {
          const r = v.node.range!;
          problems.push({ message: `class '${name}' is not found in the data (found: ${found.join(', ')})`, severity: 'error', start: pos(r[0]), end: pos(r[1]), path: v.path });
        }
      }
    }
  }
  return problems;
}
