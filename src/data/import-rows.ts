// The validation step of CSV import, one header and one row at a time, so the streamed importer
// and other sources (CRM exports mapped to salesflow fields, more import kinds) share it: a row
// becomes a checked record or its problems as FILE:LINE: field: message.
//
// A kind may have a fast check for rows that are plainly valid (1M deals cannot afford a zod parse
// each). It must only ever accept what the schema accepts and return what the schema returns; any
// row it does not accept goes through the schema, so every message still comes from the schema.
import { z, type ZodType } from 'zod';
import { emailPattern, isCalendarDate } from '../plan/records.js';
import { otherSeparatorProblem, unknownColumnMessage } from './csv.js';
import { toMicros } from './micros.js';

/** Problems listed in full; beyond this only counted (a wrong file can have a million bad rows). */
export const MAX_PROBLEMS = 100;

export interface ImportProblem {
  file: string;
  line: number;
  /** The column at fault, when there is one. */
  field: string | null;
  message: string;
}

export interface KindSpec {
  columns: readonly string[];
  required: readonly string[];
  schema: ZodType;
  /** A plainly valid row's record exactly as `schema` would return it, or null: ask the schema. */
  fast?: (raw: Record<string, string>) => Record<string, unknown> | null;
  /** Checks beyond the schema (across fields of the row); problems for this line, empty when fine. */
  check?: (record: Record<string, unknown>) => { field: string; message: string }[];
  /** The schema enforces every CHECK constraint of the table, so the writer may skip them. */
  checkedBySchema?: boolean;
  /** The stored row of a validated record (all of the table's written columns, in one order). */
  row: (record: never, now: string) => Record<string, unknown>;
}

export type RowCheck =
  | { ok: true; record: Record<string, unknown> }
  | { ok: false; problems: ImportProblem[] };

/** Problems with a header row (unknown, repeated or missing columns); names are already trimmed and lower-cased. */
export function checkHeader(kind: string, spec: KindSpec, names: readonly string[], line: number, file: string): ImportProblem[] {
  const separator = otherSeparatorProblem(names);
  if (separator) return [{ file, line, field: null, message: separator }];
  const problems: ImportProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    // A column without a name: the empty ones a spreadsheet pads lines with (validateRow refuses a value in one).
    if (name === '') continue;
    if (!spec.columns.includes(name)) {
      problems.push({ file, line, field: null, message: unknownColumnMessage(name, kind, spec.columns) });
    } else if (seen.has(name)) {
      problems.push({ file, line, field: null, message: `column "${name}" appears twice` });
    }
    seen.add(name);
  }
  const missing = spec.required.filter((c) => !names.includes(c));
  if (missing.length) {
    problems.push({ file, line, field: null, message: `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  }
  return problems;
}

/** One data row: its fields under the header's names, trimmed; empty fields are absent. */
export function validateRow(spec: KindSpec, names: readonly string[], fields: readonly string[], line: number, file: string): RowCheck {
  if (fields.length !== names.length) {
    return { ok: false, problems: [{ file, line, field: null, message: `row has ${fields.length} fields, the header has ${names.length}` }] };
  }
  const raw: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    const value = fields[i].trim();
    if (value === '') continue;
    if (names[i] === '') return { ok: false, problems: [unnamedColumnProblem(i, value, line, file)] };
    raw[names[i]] = value;
  }
  let record = spec.fast?.(raw) ?? null;
  if (!record) {
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      return {
        ok: false,
        problems: result.error.issues.map((issue) => {
          const field = issue.path.length ? String(issue.path[0]) : null;
          const absent = field !== null && raw[field] === undefined;
          return { file, line, field, message: absent ? 'is required' : withValue(issue.message, field === null ? undefined : raw[field]) };
        }),
      };
    }
    record = result.data as Record<string, unknown>;
  }
  const more = spec.check?.(record) ?? [];
  if (more.length) return { ok: false, problems: more.map((p) => ({ file, line, ...p })) };
  return { ok: true, record };
}

/** "expected an email address" → "expected an email address, got "Grace Hopper"": which cell to fix, in a long file. */
/**
 * The problem with a rep column holding a rep's email or name rather than its id ("ada@x" is the
 * email of rep r1; the rep column takes rep ids (write r1)); null when it is neither. `emailOf` is
 * the rep whose email it is, `namedBy` the reps of that name.
 */
export function repNamedOtherwise(value: string, column: string, emailOf: string | undefined, namedBy: string[] | undefined): string | null {
  const what = emailOf ? `the email of rep ${emailOf}` : namedBy?.length ? `the name of rep${namedBy.length > 1 ? 's' : ''} ${namedBy.join(', ')}` : null;
  if (!what) return null;
  return `${JSON.stringify(value)} is ${what}; the ${column} column takes rep ids (write ${emailOf ?? namedBy!.join(' or ')})`;
}

export function withValue(message: string, value: string | undefined): string {
  return value !== undefined && message.startsWith('expected ') && !message.includes(', got ') ? `${message}, got ${JSON.stringify(value)}` : message;
}

/** A value under a column the header gives no name: data the import would otherwise drop unseen. */
export function unnamedColumnProblem(index: number, value: string, line: number, file: string): ImportProblem {
  return { file, line, field: null, message: `column ${index + 1} has no name in the header but holds ${JSON.stringify(value)}` };
}

/**
 * A rep's employment dates in order: an end_date before the start_date is a typo proration would
 * silently turn into 0 days employed, so the row is refused (the same day is one day employed).
 */
export function employmentCheck(record: Record<string, unknown>): { field: string; message: string }[] {
  const { start_date: start, end_date: end } = record as { start_date?: string | null; end_date?: string | null };
  return start && end && end < start ? [{ field: 'end_date', message: `${end} is before start_date ${start}` }] : [];
}

const plainAmount = /^-?\d{1,12}(\.\d{1,6})?$/;
const currencyCode = /^[A-Z]{3}$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
// The records' own email pattern, so the fast path accepts no more.
const email = emailPattern;
const stages = new Set(['open', 'won', 'lost']);
const dealTypes = new Set(['new', 'renewal', 'expansion']);
/** DealRecord's longest id (records.ts). */
const MAX_ID = 200;

// Files repeat the same few hundred dates; each is checked once (bounded: a file of all-distinct
// dates only refills it).
const dateChecks = new Map<string, boolean>();
function calendarDate(text: string): boolean {
  let ok = dateChecks.get(text);
  if (ok === undefined) {
    ok = isoDate.test(text) && isCalendarDate(text);
    if (dateChecks.size >= 10_000) dateChecks.clear();
    dateChecks.set(text, ok);
  }
  return ok;
}

/**
 * DealRecord for a plainly valid deal row: amounts of at most 12 integer digits and 6 decimals
 * (always within int64 micros), a 3-letter code, a known stage and type, a calendar date, zod's
 * email pattern. Anything else (including oddities the schema may still accept) returns null.
 */
export function fastDeal(raw: Record<string, string>): Record<string, unknown> | null {
  const { id, rep, amount, currency, stage, type, closed_at, contact } = raw;
  if (id === undefined || rep === undefined || amount === undefined || currency === undefined || stage === undefined) return null;
  if (id.length > MAX_ID || rep.length > MAX_ID) return null;
  if (!plainAmount.test(amount) || !currencyCode.test(currency) || !stages.has(stage)) return null;
  if (type !== undefined && !dealTypes.has(type)) return null;
  if (closed_at !== undefined && !calendarDate(closed_at)) return null;
  if (contact !== undefined && !email.test(contact)) return null;
  return {
    id, rep, name: raw.name ?? null, amount, currency, stage, product: raw.product ?? null, type: type ?? null,
    source: raw.source ?? null, closed_at: closed_at ?? null, contact: contact ?? null,
  };
}

/** Micros of a valid amount; plain amounts without Decimal arithmetic (the import's hot path). */
export function microsOf(amount: string): bigint {
  const m = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/.exec(amount);
  if (m) {
    const micros = BigInt(m[2] + (m[3] ?? '').padEnd(6, '0'));
    return m[1] ? -micros : micros;
  }
  const micros = toMicros(amount);
  if (!micros.ok) throw new Error(`amount ${amount}: ${micros.message}`);
  return micros.micros;
}
