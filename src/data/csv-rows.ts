// The header-and-rows part of a CSV import shared by the kinds that are not §4 entities
// (credits, rates): the header must name known columns once each and every required one; each
// row becomes a record of trimmed non-empty values with its line. Problems carry FILE:LINE.
// A row's own problem (a missing cell, a ragged row) does not stop the reading: the caller checks
// the other rows too, so one run lists every bad row, as the streamed kinds do.
import { otherSeparatorProblem, parseCsv, unknownColumnMessage } from './csv.js';
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

export function readCsvRows(text: string, file: string, kind: string, columns: readonly string[], required: readonly string[]): CsvRows {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, problems: [{ file, line: parsed.line, field: null, message: parsed.message }] };
  const [header, ...records] = parsed.records;
  if (!header) return { ok: false, problems: [{ file, line: 1, field: null, message: `empty file: expected a header row naming ${kind} columns (${columns.join(', ')})` }] };
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
  if (problems.length) return { ok: false, problems };

  const rows: CsvRow[] = [];
  for (const record of records) {
    if (record.fields.length !== names.length) {
      problems.push({ file, line: record.line, field: null, message: `row has ${record.fields.length} fields, the header has ${names.length}` });
      continue;
    }
    const values: Record<string, string> = {};
    const unnamed = names.findIndex((name, i) => name === '' && record.fields[i].trim() !== '');
    if (unnamed >= 0) {
      problems.push(unnamedColumnProblem(unnamed, record.fields[unnamed].trim(), record.line, file));
      continue;
    }
    names.forEach((name, i) => {
      const value = record.fields[i].trim();
      if (value !== '' && name !== '') values[name] = value;
    });
    let complete = true;
    for (const column of required) {
      if (values[column] === undefined) { problems.push({ file, line: record.line, field: column, message: 'is required' }); complete = false; }
    }
    rows.push({ line: record.line, values, complete });
  }
  return { ok: true, rows, problems };
}
