// CSV import of CRM data (SPEC §8): the header names §4 fields, every row is validated with the
// record schemas, every bad row is reported as FILE:LINE: field: message, and a file with any bad
// row writes nothing (validation first, then one transaction). Re-importing updates rows by id.
//
// Rows are written in batches of multi-row upserts (INSERT ... VALUES (...), (...) ON CONFLICT
// DO UPDATE), the same statement on SQLite and PostgreSQL: one round trip per batch instead of
// per row, inside the one transaction.
import { sql, type Kysely } from 'kysely';
import type { ZodType } from 'zod';
import { DealRecord, LeadRecord, RepRecord } from '../plan/records.js';
import { parseCsv } from './csv.js';
import { columnsOf, transaction, type Db } from './db.js';
import { dealColumns, dealRow } from './deals.js';
import { leadColumns } from './leads.js';
import { toMicros } from './micros.js';
import { repColumns } from './reps.js';
import { importCredits } from './credits.js';
import { importRates } from './rates.js';

// credits and rates are checked across rows (shares per deal, one rate per pair and date): their own files.
export const importKinds = ['reps', 'deals', 'leads', 'credits', 'rates'] as const;
export type ImportKind = (typeof importKinds)[number];

export interface ImportProblem {
  file: string;
  line: number;
  /** The column at fault, when there is one. */
  field: string | null;
  message: string;
}

export type ImportResult =
  | { ok: true; inserted: number; updated: number; warnings: string[] }
  | { ok: false; problems: ImportProblem[] };

interface KindSpec {
  columns: readonly string[];
  required: readonly string[];
  schema: ZodType;
  /** The stored row of a validated record. */
  row: (record: never, now: string) => Record<string, unknown>;
}

const kinds: Record<Exclude<ImportKind, 'credits' | 'rates'>, KindSpec> = {
  reps: {
    columns: repColumns, required: ['id', 'name', 'email'], schema: RepRecord,
    row: (r: RepRecord, now) => ({ ...columnsOf(r, repColumns), updated_at: now }),
  },
  deals: {
    columns: dealColumns,
    required: ['id', 'rep', 'amount', 'currency', 'stage'],
    schema: DealRecord,
    row: (d: DealRecord, now) => ({ ...dealRow(d, now) }),
  },
  leads: {
    columns: leadColumns, required: ['id', 'email'], schema: LeadRecord,
    row: (l: LeadRecord, now) => ({ ...columnsOf(l, leadColumns), updated_at: now }),
  },
};

/** Rows per multi-row INSERT: 13 columns x 500 stays far below both dialects' parameter limits. */
const BATCH = 500;

// The three CRM tables share the shape the upsert needs (text id key, plain columns).
type AnyTables = Record<ImportKind, Record<string, unknown>>;

/** Upsert one batch of rows of a kind; returns how many of them were new. */
async function writeBatch(db: Db, kind: ImportKind, rows: Record<string, unknown>[]): Promise<number> {
  const k = db.kysely as unknown as Kysely<AnyTables>;
  const ids = rows.map((r) => r.id as string);
  const existing = await k.selectFrom(kind).select(sql<string>`id`.as('id')).where(sql.ref('id'), 'in', ids).execute();
  const columns = Object.keys(rows[0]).filter((c) => c !== 'id');
  await k.insertInto(kind).values(rows)
    .onConflict((oc) => oc.column('id').doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))))
    .execute();
  return rows.length - existing.length;
}

export function formatProblem(p: ImportProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** Validate and import CSV text of one kind; `file` names it in problems. */
export async function importCsv(db: Db, kind: ImportKind, text: string, file: string): Promise<ImportResult> {
  if (kind === 'credits') return importCredits(db, text, file);
  if (kind === 'rates') return importRates(db, text, file);
  const spec = kinds[kind];
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, problems: [{ file, line: parsed.line, field: null, message: parsed.message }] };
  const [header, ...rows] = parsed.records;
  if (!header) return { ok: false, problems: [{ file, line: 1, field: null, message: `empty file: expected a header row naming ${kind} fields` }] };

  const names = header.fields.map((h) => h.trim().toLowerCase());
  const problems: ImportProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!spec.columns.includes(name)) {
      problems.push({
        file, line: header.line, field: null,
        message: `unknown column "${name}" for ${kind}; the columns are ${spec.columns.join(', ')}`,
      });
    } else if (seen.has(name)) {
      problems.push({ file, line: header.line, field: null, message: `column "${name}" appears twice` });
    }
    seen.add(name);
  }
  const missing = spec.required.filter((c) => !names.includes(c));
  if (missing.length) {
    problems.push({ file, line: header.line, field: null, message: `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  }
  if (problems.length) return { ok: false, problems };

  const records: { line: number; record: Record<string, unknown> }[] = [];
  const idLines = new Map<string, number>();
  for (const row of rows) {
    if (row.fields.length !== names.length) {
      problems.push({ file, line: row.line, field: null, message: `row has ${row.fields.length} fields, the header has ${names.length}` });
      continue;
    }
    const raw: Record<string, string> = {};
    names.forEach((name, i) => {
      const value = row.fields[i].trim();
      if (value !== '') raw[name] = value;
    });
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field = issue.path.length ? String(issue.path[0]) : null;
        const absent = field !== null && raw[field] === undefined;
        problems.push({ file, line: row.line, field, message: absent ? 'is required' : issue.message });
      }
      continue;
    }
    const record = result.data as Record<string, unknown>;
    if (kind === 'deals') {
      const micros = toMicros(String(record.amount));
      if (!micros.ok) { problems.push({ file, line: row.line, field: 'amount', message: micros.message }); continue; }
    }
    const id = String(record.id);
    const first = idLines.get(id);
    if (first !== undefined) {
      problems.push({ file, line: row.line, field: 'id', message: `duplicate id "${id}" (first on line ${first})` });
      continue;
    }
    idLines.set(id, row.line);
    records.push({ line: row.line, record });
  }
  if (problems.length) return { ok: false, problems };

  const now = new Date().toISOString();
  let inserted = 0;
  await transaction(db, async (tx) => {
    for (let i = 0; i < records.length; i += BATCH) {
      const rows = records.slice(i, i + BATCH).map(({ record }) => spec.row(record as never, now));
      inserted += await writeBatch(tx, kind, rows);
    }
  });
  const updated = records.length - inserted;
  return { ok: true, inserted, updated, warnings: kind === 'deals' ? await unknownRepWarnings(db, records.map((r) => r.record)) : [] };
}

/** Deals may arrive before their reps; say so instead of failing. */
async function unknownRepWarnings(db: Db, deals: Record<string, unknown>[]): Promise<string[]> {
  const reps = [...new Set(deals.map((d) => String(d.rep)))];
  const known = new Set<string>();
  for (let i = 0; i < reps.length; i += BATCH) {
    const found = await db.kysely.selectFrom('reps').select('id').where('id', 'in', reps.slice(i, i + BATCH)).execute();
    for (const { id } of found) known.add(id);
  }
  const missing = reps.filter((rep) => !known.has(rep));
  if (missing.length === 0) return [];
  const shown = missing.slice(0, 10).join(', ');
  return [`deals name ${missing.length} rep${missing.length > 1 ? 's' : ''} not in the data source yet: ${shown}${missing.length > 10 ? ', ...' : ''} (import reps too)`];
}
