// The header-and-rows part of a CSV import shared by the kinds that are not §4 entities
// (credits, rates): the header must name known columns once each and every required one; each
// row becomes a record of trimmed non-empty values with its line. Problems carry FILE:LINE.
// A row's own problem (a missing cell, a ragged row) does not stop the reading: the caller checks
// the other rows too, so one run lists every bad row, as the streamed kinds do.
// Rates read a whole (small) text with readCsvRows; credits files are large and read as a stream
// with csvRowBatches. Both take each header and row through the same two steps below.
import type { Readable } from 'node:stream';
import { CsvSyntaxError, csvRecords, otherSeparatorProblem, parseCsv, unknownColumnMessage, type CsvRecord } from './csv.js';
import type { ImportProblem, ImportResult } from './import.js';
import { MAX_PROBLEMS, unnamedColumnProblem } from './import-rows.js';

/** A row and its values; `complete` is false when a required value is missing (reported in `problems`). */
export interface CsvRow { line: number; values: Record<string, string>; complete: boolean }

/** ok: the header is right; `rows` are the rows with all their fields (complete or not), `problems` those of single rows. */
export type CsvRows = { ok: true; rows: CsvRow[]; problems: ImportProblem[] } | { ok: false; problems: ImportProblem[] };

/** A refused file: its problems by line, the first MAX_PROBLEMS listed and all counted. */
export function refused(problems: ImportProblem[]): Extract<ImportResult, { ok: false }> {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  return sorted.length > MAX_PROBLEMS ? { ok: false, problems: sorted.slice(0, MAX_PROBLEMS), total: sorted.length } : { ok: false, problems: sorted };
}

/**
 * The problems of a file too large to keep them all: the first MAX_PROBLEMS by line and how many
 * in all. Problems arrive in parts (row by row as read, then each cross-row check's first ones by
 * line and its count): the first MAX_PROBLEMS of every part hold the first MAX_PROBLEMS of all.
 */
export class ProblemList {
  private kept: ImportProblem[] = [];
  total = 0;

  /** `list` in line order; `total` counts the part's problems when `list` holds only its first ones. */
  add(list: ImportProblem[], total = list.length): void {
    this.total += total;
    for (const p of list) this.kept.push(p);
    if (this.kept.length > 4 * MAX_PROBLEMS) this.trim();
  }

  private trim(): void {
    // Stable: problems of one line keep their order (a row missing two values: in column order).
    this.kept.sort((a, b) => a.line - b.line);
    this.kept.length = Math.min(this.kept.length, MAX_PROBLEMS);
  }

  result(): Extract<ImportResult, { ok: false }> {
    this.trim();
    return this.total > this.kept.length ? { ok: false, problems: this.kept, total: this.total } : { ok: false, problems: this.kept };
  }
}

/** The header's column names (trimmed, lower-cased), or its problems. */
function headerOf(header: CsvRecord, file: string, kind: string, columns: readonly string[], required: readonly string[]): { ok: true; names: string[] } | { ok: false; problems: ImportProblem[] } {
  const names = header.fields.map((h) => h.trim().toLowerCase());
  const separator = otherSeparatorProblem(names);
  if (separator) return { ok: false, problems: [{ file, line: header.line, field: null, message: separator }] };
  const problems: ImportProblem[] = [];
  names.forEach((name, i) => {
    // A column without a name: the empty ones a spreadsheet pads lines with (a value in one is refused below).
    if (name === '') return;
    if (!columns.includes(name)) {
      problems.push({ file, line: header.line, field: null, message: unknownColumnMessage(name, kind, columns) });
    } else if (names.indexOf(name) !== i) {
      problems.push({ file, line: header.line, field: null, message: `column "${name}" appears twice` });
    }
  });
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length) problems.push({ file, line: header.line, field: null, message: `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  return problems.length ? { ok: false, problems } : { ok: true, names };
}

/** One record under the header's `names`: its row, or null when the row is refused as a whole; its problems go to `problems`. */
function rowOf(names: readonly string[], record: CsvRecord, required: readonly string[], file: string, problems: ImportProblem[]): CsvRow | null {
  if (record.fields.length !== names.length) {
    problems.push({ file, line: record.line, field: null, message: `row has ${record.fields.length} fields, the header has ${names.length}` });
    return null;
  }
  const unnamed = names.findIndex((name, i) => name === '' && record.fields[i].trim() !== '');
  if (unnamed >= 0) {
    problems.push(unnamedColumnProblem(unnamed, record.fields[unnamed].trim(), record.line, file));
    return null;
  }
  const values: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = record.fields[i].trim();
    if (value !== '' && name !== '') values[name] = value;
  });
  let complete = true;
  for (const column of required) {
    if (values[column] === undefined) { problems.push({ file, line: record.line, field: column, message: 'is required' }); complete = false; }
  }
  return { line: record.line, values, complete };
}

const emptyFile = (file: string, kind: string, columns: readonly string[]): ImportProblem =>
  ({ file, line: 1, field: null, message: `empty file: expected a header row naming ${kind} columns (${columns.join(', ')})` });

export function readCsvRows(text: string, file: string, kind: string, columns: readonly string[], required: readonly string[]): CsvRows {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, problems: [{ file, line: parsed.line, field: null, message: parsed.message }] };
  const [header, ...records] = parsed.records;
  if (!header) return { ok: false, problems: [emptyFile(file, kind, columns)] };
  const head = headerOf(header, file, kind, columns, required);
  if (!head.ok) return head;
  const problems: ImportProblem[] = [];
  const rows: CsvRow[] = [];
  for (const record of records) {
    const row = rowOf(head.names, record, required, file, problems);
    if (row) rows.push(row);
  }
  return { ok: true, rows, problems };
}

/**
 * readCsvRows for a stream: the rows in batches, each batch with its rows' problems, so a file of
 * any size is never held whole. A batch `ok: false` ends the file and its problems are the only
 * ones to report (as readCsvRows reports them): a wrong header, no header, or malformed CSV (an
 * unclosed quote, not CSV at all, not UTF-8, a NUL), after which the lines cannot be trusted.
 */
export async function* csvRowBatches(input: Readable, file: string, kind: string, columns: readonly string[], required: readonly string[]): AsyncGenerator<CsvRows> {
  let names: string[] | null = null;
  try {
    for await (const batch of csvRecords(input)) {
      let i = 0;
      if (!names) {
        const head = headerOf(batch[0], file, kind, columns, required);
        if (!head.ok) { yield head; return; }
        names = head.names;
        i = 1;
      }
      const problems: ImportProblem[] = [];
      const rows: CsvRow[] = [];
      for (; i < batch.length; i++) {
        const row = rowOf(names, batch[i], required, file, problems);
        if (row) rows.push(row);
      }
      yield { ok: true, rows, problems };
    }
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    yield { ok: false, problems: [{ file, line: err.line, field: null, message: err.message }] };
    return;
  }
  if (!names) yield { ok: false, problems: [emptyFile(file, kind, columns)] };
}
