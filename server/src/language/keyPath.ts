/**
 * Where the cursor is in an experiment file, in schema terms: the key path of the mapping it is
 * in, and whether it is on a key or on a value. Indentation-based so that it works on files
 * that do not parse yet (the user is typing).
 */
export interface CursorContext {
  /** Key path of the enclosing mapping, e.g. ['train']. */
  parent: string[];
  /** On a value: the key it belongs to; on a key: undefined. */
  key?: string;
  /** The word typed so far. */
  prefix: string;
  /** Inside a flow/sequence item of the key (e.g. `rare: [a, |`). */
  inList: boolean;
  /** Inside a `{ … }` flow mapping (keys are completed without a line break). */
  inFlow?: boolean;
}

const KEY_RE = /^(\s*)(-\s+)?([A-Za-z_][\w-]*)\s*:(.*)$/;

/** Resolves the parent path of a line by walking up to less-indented keys. */
function parentPath(lines: string[], lineNo: number, indent: number): string[] {
  const path: { key: string; indent: number }[] = [];
  let want = indent;
  for (let i = lineNo - 1; i >= 0 && want > 0; i--) {
    const m = KEY_RE.exec(lines[i]!);
    if (!m) continue;
    const ind = m[1]!.length;
    if (ind < want && m[4]!.trim() === '') {
      path.unshift({ key: m[3]!, indent: ind });
      want = ind;
    }
  }
  return path.map((p) => p.key);
}

/**
 * The `{ … }` flow mappings still open at the end of `text` (what follows a key's colon): the
 * keys of the nested ones (the outermost belongs to the line's key) and the text of the entry
 * being typed; undefined when no mapping is open.
 */
function openFlow(text: string): { keys: string[]; segment: string } | undefined {
  const open: string[] = [];
  let segment = '';
  let brackets = 0;
  for (const ch of text) {
    if (ch === '[') brackets++;
    else if (ch === ']') brackets = Math.max(0, brackets - 1);
    if (brackets > 0) {
      segment += ch;
      continue;
    }
    if (ch === '{') {
      open.push(/([A-Za-z_][\w-]*)\s*:\s*$/.exec(segment)?.[1] ?? '');
      segment = '';
    } else if (ch === '}') {
      open.pop();
      segment = '';
    } else if (ch === ',') segment = '';
    else segment += ch;
  }
  if (!open.length) return undefined;
  return { keys: open.slice(1), segment };
}

export function cursorContext(text: string, line: number, character: number): CursorContext {
  const lines = text.split(/\r?\n/);
  const cur = (lines[line] ?? '').slice(0, character);
  const indent = /^\s*/.exec(cur)![0].length;
  const m = KEY_RE.exec(cur);
  if (m) {
    const afterColon = m[4]!;
    // `key: value` on one line; inline mappings (`model: { backbone: re| }`, nested ones too) by scanning the flow.
    const flow = openFlow(afterColon);
    if (flow) {
      const parent = [...parentPath(lines, line, m[1]!.length), m[3]!, ...flow.keys];
      const kv = /^\s*([\w-]+)\s*:\s*(.*)$/.exec(flow.segment);
      if (kv) return { parent, key: kv[1]!, prefix: kv[2]!.trim(), inList: false, inFlow: true };
      return { parent, prefix: flow.segment.trim(), inList: false, inFlow: true };
    }
    const list = /\[([^\]]*)$/.exec(afterColon);
    const parent = parentPath(lines, line, m[1]!.length);
    if (list) {
      const items = list[1]!.split(',');
      return { parent, key: m[3]!, prefix: items[items.length - 1]!.trim(), inList: true };
    }
    return { parent, key: m[3]!, prefix: afterColon.trim(), inList: false };
  }
  const item = /^(\s*)-\s*(.*)$/.exec(cur);
  if (item) {
    // A block sequence item: its key is the nearest less-indented key above.
    const path = parentPath(lines, line, item[1]!.length + 1);
    const key = path.pop();
    return { parent: path, key, prefix: item[2]!.trim(), inList: true };
  }
  return { parent: parentPath(lines, line, indent), prefix: cur.trim(), inList: false };
}

/** The key path of the key under the cursor (for hover), or undefined. */
export function keyAt(text: string, line: number, character: number): string[] | undefined {
  const lines = text.split(/\r?\n/);
  const l = lines[line] ?? '';
  // Inline flow mappings: find the `word:` the cursor is on.
  const re = /([A-Za-z_][\w-]*)\s*:/g;
  let m: RegExpExecArray | null;
  const chain: string[] = [];
  const lm = KEY_RE.exec(l);
  if (!lm) return undefined;
  const base = parentPath(lines, line, lm[1]!.length);
  let depth = 0;
  let lastAtDepth: string[] = [];
  while ((m = re.exec(l))) {
    const before = l.slice(0, m.index);
    depth = (before.match(/\{/g)?.length ?? 0) - (before.match(/\}/g)?.length ?? 0);
    lastAtDepth = lastAtDepth.slice(0, depth);
    lastAtDepth[depth] = m[1]!;
    if (character >= m.index && character <= m.index + m[1]!.length) {
      chain.push(...lastAtDepth.slice(0, depth + 1));
      return [...base, ...chain];
    }
  }
  return undefined;
}
