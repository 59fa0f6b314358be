/** A small RFC 4180 CSV reader (quoted fields, "" escapes, CRLF), with 1-based line numbers. */

export interface CsvTable {
  header: string[];
  rows: { line: number; cells: string[] }[];
}

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'CsvError';
  }
}

export function parseCsv(text: string, file: string): CsvTable {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      cells.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(field);
      if (cells.some((c) => c.trim() !== '')) records.push({ line: recordLine, cells: cells.map((c) => c.trim()) });
      cells = [];
      field = '';
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      if (ch.trim()) fieldStarted = true;
    }
  }
  if (quoted) throw new CsvError(file, recordLine, 'a quoted field is not closed');
  cells.push(field);
  if (cells.some((c) => c.trim() !== '')) records.push({ line: recordLine, cells: cells.map((c) => c.trim()) });
  const [head, ...rows] = records;
  if (!head) throw new CsvError(file, 1, 'is empty (expected a header line such as path,label,split)');
  return { header: head.cells.map((h) => h.toLowerCase()), rows };
}
