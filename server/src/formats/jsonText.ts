/**
 * JSON parsing that reports where malformed input breaks (line and column), shared by the box
 * formats. Dependency-free: the extension host and the webviews import it.
 */

/** One problem found in a box file; `path` points into the document (e.g. `annotations[3].bbox`). */
export interface FormatIssue<Code extends string = string> {
  code: Code;
  message: string;
  /** JSON path of the offending value, `''` for the whole document. */
  path: string;
  /** 1-based, only for syntax errors. */
  line?: number;
  column?: number;
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; issue: FormatIssue<'json'> };

/** JSON.parse that turns V8's "at position N" into a line and column instead of throwing. */
export function parseJsonText(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // V8 names a position only for some errors, so find the offset with our own scan.
    const offset = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, offset);
    const what = offset >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[offset])}`;
    return { ok: false, issue: { code: 'json', path: '', line, column, message: `malformed JSON at line ${line}, column ${column}: ${what}` } };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isNumberArray(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every(isFiniteNumber);
}

/**
 * Deterministic JSON: 2-space indent, trailing newline, short numeric arrays on one line so that
 * boxes and matrices stay readable in diffs.
 */
export function stringifyStable(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  // Only arrays JSON.stringify spread over lines: a string value never holds a raw newline, so
  // text inside strings (a file name like "a[1,2].png") is left alone.
  return text.replace(/\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`) + '\n';
}

/**
 * Offset of the first character where `text` stops being JSON (text.length when it ends early).
 * Only called after JSON.parse failed, so speed does not matter; a small recursive descent.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  class Stop extends Error {}
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new Stop();
  };
  const expect = (c: string) => (text[i] === c ? i++ : fail());
  const str = () => {
    expect('"');
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    expect('"');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        str();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') i++;
        else return void expect('}');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else return void expect(']');
      }
    } else if (c === '"') str();
    else {
      const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) fail();
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return Math.min(i, text.length);
}
