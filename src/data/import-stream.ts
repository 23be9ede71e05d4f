// Streaming CSV import (issue #13 item 5): the file is read and parsed in chunks with csv-parse,
// so memory stays flat whatever its size; rows are validated as they come and written inside one
// transaction that is rolled back when any row was bad (every bad row is still reported with its
// line). Same columns, messages and outcome as importCsv (import.ts), which takes text in memory.
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { z, type ZodType } from 'zod';
import { DealRecord, isCalendarDate, LeadRecord, RepRecord } from '../plan/records.js';
import { prepared, type Db } from './db.js';
import { dealColumns, upsertDeal } from './deals.js';
import type { ImportKind, ImportProblem, ImportResult } from './import.js';
import { leadColumns, upsertLead } from './leads.js';
import { toMicros } from './micros.js';
import { repColumns, upsertRep } from './reps.js';

interface StreamKind {
  columns: readonly string[];
  required: readonly string[];
  schema: ZodType;
  write: (db: Db, record: never, now: string) => unknown;
  table: string;
}

// The same columns and required fields as import.ts.
const kinds: Record<ImportKind, StreamKind> = {
  reps: { columns: repColumns, required: ['id', 'name', 'email'], schema: RepRecord, write: upsertRep as StreamKind['write'], table: 'reps' },
  deals: { columns: dealColumns, required: ['id', 'rep', 'amount', 'currency', 'stage'], schema: DealRecord, write: upsertDeal as StreamKind['write'], table: 'deals' },
  leads: { columns: leadColumns, required: ['id', 'email'], schema: LeadRecord, write: upsertLead as StreamKind['write'], table: 'leads' },
};

export interface StreamImportOptions {
  /** Called every `progressEvery` rows with rows so far, bytes read and the file size. */
  onProgress?: (rows: number, bytesRead: number, totalBytes: number) => void;
  progressEvery?: number;
  /** From this file size on, indexes are rebuilt and the page cache enlarged (default 8 MB). */
  largeFileBytes?: number;
}

const emailCheck = z.string().email();
const plainDecimal = /^-?\d+(\.\d+)?$/;
const stages = new Set(['open', 'won', 'lost']);
const dealTypes = new Set(['new', 'renewal', 'expansion']);

/**
 * The common case of a deal row, checked without zod (about ten times faster). It accepts only
 * what DealRecord accepts and builds the same record; anything unusual returns null and goes
 * through the schema, so messages stay the schema's.
 */
function fastDeal(raw: Record<string, string>): Record<string, unknown> | null {
  const { id, rep, amount, currency, stage, type, closed_at: closedAt, contact } = raw;
  if (!id || !rep || !amount || !plainDecimal.test(amount) || !currency || !/^[A-Z]{3}$/.test(currency) || !stage || !stages.has(stage)) return null;
  if (type !== undefined && !dealTypes.has(type)) return null;
  if (closedAt !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(closedAt) && isCalendarDate(closedAt))) return null;
  if (contact !== undefined && !emailCheck.safeParse(contact).success) return null;
  return {
    id, rep, name: raw.name ?? null, amount, currency, stage, product: raw.product ?? null, type: type ?? null,
    source: raw.source ?? null, closed_at: closedAt ?? null, contact: contact ?? null,
  };
}

/** "1500.25" → 1500250000n without decimal.js, for the common shapes; null sends it to toMicros. */
function fastMicros(amount: string): bigint | null {
  const m = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/.exec(amount);
  if (!m) return null;
  const micros = BigInt(m[2]) * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}

// The deals store's upsert (deals.ts) for BATCH rows per statement, with the micros computed once
// and no per-row existence check: inserted and updated are counted from the table's size before
// and after. One statement per row spent most of the import's time entering SQLite.
const BATCH = 64;
const dealFields = [...dealColumns, 'amount_micros', 'updated_at'] as const;
const dealUpsert = (rows: number) => `INSERT INTO deals (${dealFields.join(', ')})
  VALUES ${Array.from({ length: rows }, () => `(${dealFields.map(() => '?').join(', ')})`).join(', ')}
  ON CONFLICT(id) DO UPDATE SET
    rep = excluded.rep, name = excluded.name, amount = excluded.amount, currency = excluded.currency,
    stage = excluded.stage, product = excluded.product, type = excluded.type, source = excluded.source,
    closed_at = excluded.closed_at, contact = excluded.contact, amount_micros = excluded.amount_micros,
    updated_at = excluded.updated_at`;

interface Row { record: string[]; info: { lines: number } }

export async function importCsvFile(db: Db, kind: ImportKind, path: string, file: string, options: StreamImportOptions = {}): Promise<ImportResult> {
  const cacheSizes = [db.pragma('main.cache_size', { simple: true }) as number, db.pragma('temp.cache_size', { simple: true }) as number];
  try {
    return await importInTransaction(db, kind, path, file, options);
  } finally {
    db.pragma(`main.cache_size = ${cacheSizes[0]}`);
    db.pragma(`temp.cache_size = ${cacheSizes[1]}`);
  }
}

async function importInTransaction(db: Db, kind: ImportKind, path: string, file: string, options: StreamImportOptions): Promise<ImportResult> {
  const spec = kinds[kind];
  const totalBytes = statSync(path).size;
  const large = totalBytes >= (options.largeFileBytes ?? REBUILD_INDEXES_ABOVE);
  const problems: ImportProblem[] = [];
  const progressEvery = options.progressEvery ?? 100_000;
  let names: string[] | null = null;
  let rows = 0;
  let before = 0;
  let inTransaction = false;
  let indexes: string[] = [];
  const now = new Date().toISOString();
  // Ids seen so far, with their lines, on disk (a temporary table) rather than in memory.
  db.exec('CREATE TEMP TABLE IF NOT EXISTS import_seen (id TEXT PRIMARY KEY, line INTEGER NOT NULL); DELETE FROM temp.import_seen;');
  const seen = prepared(db, 'INSERT INTO temp.import_seen (id, line) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const firstLine = prepared(db, 'SELECT line FROM temp.import_seen WHERE id = ?').pluck();
  const duplicate = (id: string, line: number): ImportProblem =>
    ({ file, line, field: 'id', message: `duplicate id "${id}" (first on line ${firstLine.get(id) as number})` });
  /** Reps the deals name, in order of first appearance (for the warning about unknown ones). */
  const dealReps = new Set<string>();

  // Deals go in batches: their ids into the seen table in one statement (a duplicate, rare, makes
  // it fail as a whole and the batch is redone row by row to find it), then one upsert.
  let batch: { id: string; line: number; values: unknown[] }[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    try {
      prepared(db, `INSERT INTO temp.import_seen (id, line) VALUES ${batch.map(() => '(?, ?)').join(', ')}`).run(batch.flatMap((r) => [r.id, r.line]));
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
      batch = batch.filter((r) => {
        if (seen.run(r.id, r.line).changes > 0) return true;
        problems.push(duplicate(r.id, r.line));
        return false;
      });
    }
    if (problems.length === 0 && batch.length > 0) prepared(db, dealUpsert(batch.length)).run(batch.flatMap((r) => r.values));
    batch = [];
  };
  const input = createReadStream(path, { highWaterMark: 1 << 20 });

  // Called synchronously for each parsed record (no promise per row): validate, then write.
  const take = ({ record, info }: Row): void => {
    // A record's line is where it starts: its end line less the line breaks inside its fields.
    let line = info.lines;
    for (const f of record) if (f.includes('\n')) line -= f.split('\n').length - 1;
    if (names === null) {
      names = record.map((h) => h.trim().toLowerCase());
      problems.push(...headerProblems(kind, spec, names, file, line));
      if (problems.length) throw new HeaderRejected();
      // A larger page cache while a large import runs: the id b-trees (the table's key, the seen
      // ids) take keys in file order, which is not key order, so inserts touch pages all over.
      // Put back when the import ends (importCsvFile).
      if (large) { db.pragma(`main.cache_size = ${-IMPORT_CACHE_KB}`); db.pragma(`temp.cache_size = ${-IMPORT_CACHE_KB}`); }
      db.exec('BEGIN IMMEDIATE');
      inTransaction = true;
      before = prepared(db, `SELECT count(*) FROM ${spec.table}`).pluck().get() as number;
      if (large) indexes = dropIndexes(db, spec.table);
      return;
    }
    rows++;
    if (options.onProgress && rows % progressEvery === 0) options.onProgress(rows, input.bytesRead, totalBytes);
    if (record.length !== names.length) {
      problems.push({ file, line, field: null, message: `row has ${record.length} fields, the header has ${names.length}` });
      return;
    }
    const raw: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) if (record[i] !== '') raw[names[i]] = record[i];
    let valid = kind === 'deals' ? fastDeal(raw) : null;
    if (valid === null) {
      const result = spec.schema.safeParse(raw);
      if (!result.success) {
        for (const issue of result.error.issues) {
          const field = issue.path.length ? String(issue.path[0]) : null;
          problems.push({ file, line, field, message: field !== null && raw[field] === undefined ? 'is required' : issue.message });
        }
        return;
      }
      valid = result.data as Record<string, unknown>;
    }
    let micros: bigint | null = null;
    if (kind === 'deals') {
      micros = fastMicros(String(valid.amount));
      if (micros === null) {
        const exact = toMicros(String(valid.amount));
        if (!exact.ok) { problems.push({ file, line, field: 'amount', message: exact.message }); return; }
        micros = exact.micros;
      }
    }
    const id = String(valid.id);
    if (kind === 'deals') {
      dealReps.add(String(valid.rep));
      batch.push({ id, line, values: [...dealColumns.map((c) => valid[c] ?? null), micros, now] });
      if (batch.length === BATCH) flush();
      return;
    }
    if (seen.run(id, line).changes === 0) { problems.push(duplicate(id, line)); return; }
    // After the first problem nothing more is written: the transaction is rolled back anyway.
    if (problems.length === 0) spec.write(db, valid as never, now);
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: true });
      parser.on('data', (row: Row) => {
        try { take(row); } catch (err) { input.destroy(); parser.destroy(err as Error); }
      });
      parser.on('end', resolve);
      parser.on('error', reject);
      input.on('error', reject);
      input.pipe(parser);
    });
    if (names === null) return { ok: false, problems: [{ file, line: 1, field: null, message: `empty file: expected a header row naming ${kind} fields` }] };
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (!(err instanceof HeaderRejected)) {
      if (!/^(CSV_|INVALID_)/.test(e.code ?? '')) throw rollback(db, inTransaction, err);
      problems.push({ file, line: e.lines ?? 1, field: null, message: e.message });
    }
  } finally {
    input.destroy();
  }
  try { flush(); } catch (err) { throw rollback(db, inTransaction, err); }
  if (problems.length) {
    // Duplicates are found batch by batch; report in the order of the file.
    problems.sort((x, y) => x.line - y.line);
    rollback(db, inTransaction, null);
    db.exec('DELETE FROM temp.import_seen');
    return { ok: false, problems };
  }
  for (const sql of indexes) db.exec(sql);
  const after = prepared(db, `SELECT count(*) FROM ${spec.table}`).pluck().get() as number;
  const warnings = kind === 'deals' ? unknownRepWarnings(db, dealReps) : [];
  db.exec('COMMIT');
  db.exec('DELETE FROM temp.import_seen');
  return { ok: true, inserted: after - before, updated: rows - (after - before), warnings };
}

/**
 * Above this size the table's secondary indexes are dropped inside the import's transaction and
 * built again before it commits: one sort per index instead of a b-tree insert per row. Other
 * connections keep reading the committed table, indexes included (WAL); a rollback restores them.
 */
const REBUILD_INDEXES_ABOVE = 8 * 1024 * 1024;
/** Page cache per database (main, temp) during a large import, in KiB: inside the 200 MB RSS goal. */
const IMPORT_CACHE_KB = 24 * 1024;

function dropIndexes(db: Db, table: string): string[] {
  const found = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as { name: string; sql: string }[];
  for (const { name } of found) db.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
  return found.map((i) => i.sql);
}

/** The header is wrong: stop reading, the problems say why. */
class HeaderRejected extends Error {}

function rollback(db: Db, inTransaction: boolean, err: unknown): unknown {
  if (inTransaction && db.inTransaction) db.exec('ROLLBACK');
  return err;
}

function headerProblems(kind: ImportKind, spec: StreamKind, names: string[], file: string, line: number): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!spec.columns.includes(name)) {
      problems.push({ file, line, field: null, message: `unknown column "${name}" for ${kind}; the columns are ${spec.columns.join(', ')}` });
    } else if (seen.has(name)) {
      problems.push({ file, line, field: null, message: `column "${name}" appears twice` });
    }
    seen.add(name);
  }
  const missing = spec.required.filter((c) => !names.includes(c));
  if (missing.length) problems.push({ file, line, field: null, message: `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  return problems;
}

/** Deals may arrive before their reps; say so instead of failing (the same warning as import.ts). */
function unknownRepWarnings(db: Db, reps: Set<string>): string[] {
  const known = prepared(db, 'SELECT 1 FROM reps WHERE id = ?').pluck();
  const missing = [...reps].filter((rep) => known.get(rep) === undefined);
  if (missing.length === 0) return [];
  const shown = missing.slice(0, 10).join(', ');
  return [`deals name ${missing.length} rep${missing.length > 1 ? 's' : ''} not in the data source yet: ${shown}${missing.length > 10 ? ', ...' : ''} (import reps too)`];
}
