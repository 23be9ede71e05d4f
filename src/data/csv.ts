// RFC 4180 CSV through csv-parse: quoted fields, doubled quotes inside quotes, commas and newlines
// inside quotes, CRLF, LF or CR line ends (mixed too), an optional UTF-8 byte-order mark, spaces
// around a quoted field. Files are read as a stream (`csvRecords`), so a 1M-row import never holds
// the file. Every record carries the physical line it starts on, so an import error points at the
// line a spreadsheet user sees; the lines are counted here, not taken from csv-parse's `info`,
// which counts a CRLF inside a quoted field as two lines.
import type { Readable } from 'node:stream';
import { parse, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  fields: string[];
}

export type CsvParse =
  | { ok: true; records: CsvRecord[] }
  | { ok: false; line: number; message: string };

/** Malformed CSV (an unclosed quote, a stray quote): parsing cannot go on past it. */
export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) { super(message); }
}

const options: Options = {
  bom: true,
  // Blank lines come through as [''] and are skipped below (rows of empty fields too), counting their line.
  skip_empty_lines: false,
  // A ragged row is the importer's error to report with its line, not a parse failure.
  relax_column_count: true,
  // Spaces padding a quoted field (`a, "b" ,c`, as some CRM exports write) are outside the value.
  trim: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

/** Line breaks inside a record's (quoted) fields: CRLF, LF and CR each count one. */
function breaksIn(fields: string[]): number {
  let n = 0;
  for (const f of fields) {
    if (f.indexOf('\n') < 0 && f.indexOf('\r') < 0) continue;
    n += f.match(/\r\n|\n|\r/g)!.length;
  }
  return n;
}

/**
 * Bytes that are not UTF-8 decode to U+FFFD, which would be stored as "Ren�" without a word. A
 * spreadsheet saved as Windows-1252 or Latin-1 is the usual cause, and every later row has the same
 * problem, so the first one stops the import with what to do. (A UTF-8 file holding U+FFFD itself
 * was already damaged by an earlier conversion; refusing it is right too.)
 */
function notUtf8(line: number, column: number, value: string): CsvSyntaxError {
  // Binary junk can fill a whole line; a sample is enough to recognise it.
  const sample = value.length > 40 ? `${JSON.stringify(value.slice(0, 40)).slice(0, -1)}..."` : JSON.stringify(value);
  return new CsvSyntaxError(line, `column ${column + 1} (${sample}) is not UTF-8 text: the file seems to be saved in another encoding (Windows-1252, Latin-1); save it as UTF-8 ("CSV UTF-8" in Excel)`);
}

const exportAsCsv = 'export the data as CSV (HubSpot: Export, file format CSV; Excel: Save As "CSV UTF-8")';

/**
 * What a file is when its first bytes say it is not CSV text, or null. Read as CSV such a file
 * gets messages about its first line's quotes or columns ('a quote inside an unquoted field' for
 * a JSON file, 'not UTF-8' for an .xls) that do not tell the user they picked the wrong file.
 */
export function notCsvProblem(start: Uint8Array | string): string | null {
  const bytes = typeof start === 'string' ? Buffer.from(start.slice(0, 64)) : Buffer.from(start.subarray(0, 64));
  const begins = (...signature: number[]) => signature.every((b, i) => bytes[i] === b);
  // A zip's signature: an .xlsx workbook (HubSpot's export dialog offers XLSX first).
  if (begins(0x50, 0x4b, 0x03, 0x04)) return `this is an Excel workbook (.xlsx), not a CSV file: ${exportAsCsv}`;
  // The OLE2 compound file of Excel 97-2003 (.xls).
  if (begins(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return `this is an Excel 97-2003 workbook (.xls), not a CSV file: ${exportAsCsv}`;
  // A byte-order mark says how the rest is encoded (csv-parse reads UTF-16LE with its mark).
  if (begins(0xff, 0xfe) || begins(0xfe, 0xff)) return null;
  // UTF-16 without a byte-order mark: every other byte of a Latin header is 0.
  if (bytes.length >= 4 && (bytes[1] === 0 || bytes[0] === 0)) {
    return 'this file is not UTF-8 text (it has NUL bytes: UTF-16 without a byte-order mark, or binary data): save it as UTF-8 ("CSV UTF-8" in Excel)';
  }
  const text = bytes.toString('latin1').replace(/^\xef\xbb\xbf/, '').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) {
    return 'this is JSON, not CSV: import reads a CSV file with a header row (events are sent with "salesflow events send FILE.json")';
  }
  if (text.startsWith('<')) return `this is HTML or XML, not CSV (a report saved as a web page or an "Excel" export that is HTML?): ${exportAsCsv}`;
  return null;
}

/** Turns csv-parse's records into records with their starting lines, skipping blank lines. */
class LineCounter {
  /** The physical line the next record starts on. */
  next = 1;
  /** Set from the file's first bytes when they are no CSV text (see notCsvProblem). */
  notCsv: string | null = null;

  place(fields: string[]): CsvRecord | null {
    const line = this.next;
    if (line === 1 && this.notCsv) throw new CsvSyntaxError(1, this.notCsv);
    if (fields.length === 1 && fields[0] === '') { this.next++; return null; }
    // A row of only separators (",,,,") is how spreadsheets export an empty row: blank too.
    if (fields.every((f) => f.trim() === '')) { this.next += 1 + breaksIn(fields); return null; }
    const undecodable = fields.findIndex((f) => f.includes('\ufffd'));
    if (undecodable >= 0) throw notUtf8(line, undecodable, fields[undecodable]);
    // PostgreSQL text cannot hold a NUL, and SQLite would store it where no one sees it.
    const nul = fields.findIndex((f) => f.includes('\u0000'));
    if (nul >= 0) {
      throw new CsvSyntaxError(line, `column ${nul + 1} holds a NUL character (byte 0), which no text value can hold: the file is damaged or not UTF-8 text; remove it, or save the file as UTF-8 ("CSV UTF-8" in Excel)`);
    }
    this.next += 1 + breaksIn(fields);
    return { line, fields };
  }

  /** csv-parse's error for the record that starts at `this.next`, in salesflow's words. */
  syntaxError(err: unknown): CsvSyntaxError {
    if (err instanceof CsvSyntaxError) return err;
    if (this.next === 1 && this.notCsv) return new CsvSyntaxError(1, this.notCsv);
    const code = (err as { code?: string }).code;
    const message =
      code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed (missing ")'
      : code === 'INVALID_OPENING_QUOTE' ? 'a quote inside an unquoted field (quote the whole field and double the quote)'
      : code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
        ? 'unexpected text after a closing quote (use "" for a quote inside a quoted field)'
      : `malformed CSV: ${(err as Error).message}`;
    return new CsvSyntaxError(this.next, message);
  }
}

/**
 * The records of a CSV stream in batches (about `batch` records each), with their lines. A
 * malformed file throws CsvSyntaxError after the records before the fault have been yielded.
 */
export async function* csvRecords(input: Readable, batch = 1000): AsyncGenerator<CsvRecord[]> {
  const counter = new LineCounter();
  const parser = parse(options);
  let failure: unknown = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = () => { const w = wake; wake = null; w?.(); };
  parser.on('readable', signal);
  parser.on('end', () => { ended = true; signal(); });
  parser.on('error', (err) => { failure = err; signal(); });
  input.on('error', (err) => { failure = err; signal(); });
  // Registered before pipe(), so it sees the first chunk before the parser does.
  input.once('data', (chunk: Buffer | string) => { counter.notCsv = notCsvProblem(chunk); });
  input.pipe(parser);
  try {
    for (;;) {
      let records: CsvRecord[] = [];
      let fields: string[] | null;
      while (records.length < batch && (fields = parser.read() as string[] | null) !== null) {
        const record = counter.place(fields);
        if (record) records.push(record);
      }
      if (records.length) { yield records; records = []; continue; }
      if (failure) {
        if ((failure as { code?: string }).code?.startsWith('CSV_') || (failure as { code?: string }).code === 'INVALID_OPENING_QUOTE') {
          throw counter.syntaxError(failure);
        }
        throw failure;
      }
      if (ended) return;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    input.unpipe(parser);
    if (!ended) { parser.destroy(); input.destroy(); }
  }
}

/** Parse a whole CSV text (small files: fixtures, command output in tests). */
export function parseCsv(text: string): CsvParse {
  const counter = new LineCounter();
  counter.notCsv = notCsvProblem(text);
  const records: CsvRecord[] = [];
  try {
    parseSync(text, {
      ...options,
      on_record: (fields: string[]) => {
        const record = counter.place(fields);
        if (record) records.push(record);
        return null;
      },
    });
  } catch (err) {
    const syntax = counter.syntaxError(err);
    return { ok: false, line: syntax.line, message: syntax.message };
  }
  return { ok: true, records };
}

/**
 * A header read as one column that holds semicolons or tabs: the file was saved with another
 * separator (Excel does that in locales where the comma is the decimal mark). The problem to
 * report instead of "unknown column" and "missing columns", or null.
 */
export function otherSeparatorProblem(header: readonly string[]): string | null {
  if (header.length !== 1) return null;
  const separator = header[0].includes(';') ? 'semicolons' : header[0].includes('\t') ? 'tabs' : null;
  if (!separator) return null;
  return `the header is one column ${JSON.stringify(header[0])}: the file is separated by ${separator}, and salesflow reads comma-separated CSV (in Excel: Save As "CSV UTF-8 (Comma delimited)")`;
}

/**
 * The problem with a header column that is not one of `columns`. Spreadsheet headers are often
 * written as words ("Start Date", "closed-at"): when the name with spaces and hyphens as `_` is a
 * column, the message says which.
 */
export function unknownColumnMessage(name: string, kind: string, columns: readonly string[]): string {
  const meant = name.replace(/[\s-]+/g, '_');
  const hint = meant !== name && columns.includes(meant) ? ` (did you mean ${meant}?)` : '';
  return `unknown column "${name}" for ${kind}${hint}; the columns are ${columns.join(', ')}`;
}

/** Quote a field when it holds a comma, quote, CR or LF, or starts/ends with spaces. */
export function csvField(value: string | null | undefined): string {
  const text = value ?? '';
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatCsv(header: readonly string[], rows: (string | null | undefined)[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
