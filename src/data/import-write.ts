// Writing validated import rows in one transaction, the fastest way each dialect offers, and
// telling how many were new, how many changed and how many were already stored as the file has
// them. The importer hands rows over in batches while it is still reading the file and throws to
// write nothing (a bad row anywhere rolls the whole file back).
//
// The upsert updates a stored row only when one of the file's columns differs (ON CONFLICT ... DO
// UPDATE ... WHERE the stored values are distinct from the file's): the upsert itself decides, so
// the counts hold with other writers at work, and an unchanged row keeps its updated_at.
// SQLite: one prepared single-row upsert run per row on the connection's own handle inside BEGIN
// IMMEDIATE. Measured with better-sqlite3, 200k deals: 0.93 s CPU against 1.13 s for 100-row
// VALUES lists, about what the sqlite3 shell's own inserts take. Rows new or changed = the
// sum of each run's changes; new rows = count after - count before, exact because SQLite has one
// writer at a time. PostgreSQL: COPY into a temporary table dropped at commit, then one INSERT ...
// SELECT ... ON CONFLICT(id) DO UPDATE ... WHERE, whose RETURNING (xmax = 0) tells inserted rows
// from updated ones; the rows it does not return were unchanged. Both statements are built from
// the same column list.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { IMPORT_LOCK_SQL, importTransaction, type Db } from './db.js';
import { emailKeyColumns, optionalEmailKey } from './email-key.js';

export interface RowWriter {
  /**
   * Rows of one table, each with the same columns: `columns` as given with the first rows, else
   * the first row's keys (`id` among them). A column not written keeps its stored value when a
   * row is updated (and is the column's default when it is inserted).
   */
  write(rows: Record<string, unknown>[], columns?: readonly string[]): Promise<void>;
}

/** `unchanged`: rows stored already with every value the file gives them (not written again). */
export interface WriteCounts { inserted: number; updated: number; unchanged: number }

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The columns to write and how to read each from a row: the given ones, plus the email key of an
 * address column among them (src/data/email-key.ts), computed here so that no import path can
 * write an address without its key.
 */
function rowColumns(table: string, given: readonly string[]): { columns: string[]; valueOf: (row: Record<string, unknown>, i: number) => unknown } {
  const keyed = emailKeyColumns[table];
  if (!keyed || !given.includes(keyed.source) || given.includes(keyed.key)) {
    return { columns: [...given], valueOf: (row, i) => row[given[i]] ?? null };
  }
  const columns = [...given, keyed.key];
  const last = given.length;
  return {
    columns,
    valueOf: (row, i) => (i === last ? optionalEmailKey(row[keyed.source] as string | null) : row[columns[i]] ?? null),
  };
}

/** Written on every import of a row, so not what tells a changed row from an unchanged one. */
const bookkeeping = new Set(['id', 'updated_at']);

/**
 * The upsert's conflict clause: a stored row is updated only when a column the file gives differs
 * (NULLs compared as values), so an identical row is left alone, its updated_at too.
 */
function upsertTail(table: string, columns: readonly string[], dialect: 'sqlite' | 'postgres'): string {
  const set = columns.filter((c) => c !== 'id').map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ');
  const compared = columns.filter((c) => !bookkeeping.has(c));
  const stored = compared.map((c) => `${quoteIdent(table)}.${quoteIdent(c)}`).join(', ');
  const given = compared.map((c) => `excluded.${quoteIdent(c)}`).join(', ');
  const differs = compared.length === 0 ? '1 = 0' : `(${stored}) ${dialect === 'sqlite' ? 'IS NOT' : 'IS DISTINCT FROM'} (${given})`;
  return `ON CONFLICT (id) DO UPDATE SET ${set} WHERE ${differs}`;
}

/**
 * What an import body gets: the writer, and a Db to read the data source with while it writes (the
 * CRM import reads stored deals and reps to merge each row over). SQLite: the import's own
 * transaction, since its one connection is held to the end (a query on the outer Db would wait
 * forever). PostgreSQL: the pool, outside the transaction (the import's connection is busy with
 * COPY), so it sees committed rows only; rows of this import are not read back (ids are unique in
 * a file).
 */
export type ImportBody = (writer: RowWriter, reads: Db) => Promise<void>;

/**
 * Run `body` with a writer into `table`, all in one transaction, and count what it wrote. When
 * `body` throws, nothing is written and the error propagates. The Db must not be in a transaction.
 */
export async function writeImport(db: Db, table: string, body: ImportBody, options: WriteOptions = {}): Promise<WriteCounts> {
  if (db.inTransaction) throw new Error('writeImport: an import runs its own transaction; pass a Db outside one');
  return db.sqlite ? writeSqlite(db, table, body, options) : writePostgres(db, table, body, options);
}

export interface WriteOptions {
  /**
   * The rows were validated against every CHECK constraint of the table (deals: stage and type by
   * the zod enums), so SQLite may skip evaluating them: a CHECK with an IN list builds a
   * temporary lookup table per inserted row, a third of the cost of writing 1M deals.
   */
  checkedBySchema?: boolean;
  /** SQLite: called once when another process holds the write lock and this import waits for it. */
  onWaiting?: () => void;
  /**
   * Reps only: the CRM source (a mapping's name) of the rows' `crm_id`, which is not a column
   * written but a link in rep_crm_ids (src/data/crm.ts setRepCrmId), written in the same
   * transaction: the id becomes the row's rep's in that source (a rep that held it there, or
   * carried it over from before migration 15, loses it; the rep's earlier id of that source is
   * replaced; its ids of other sources stay). Rows with a null crm_id link nothing.
   */
  crmIdSource?: string;
}


async function writeSqlite(db: Db, table: string, body: ImportBody, options: WriteOptions): Promise<WriteCounts> {
  const handle = db.sqlite!;
  const countRows = () => Number(handle.prepare(`SELECT count(*) FROM ${quoteIdent(table)}`).pluck().get());
  // The Kysely transaction holds the connection (other queries of this process wait) and runs
  // BEGIN IMMEDIATE; inside, the handle is used directly: no query building per batch.
  return importTransaction(db, async (tx) => {
    // Connection-wide, so set only while this transaction holds the connection.
    if (options.checkedBySchema) handle.pragma('ignore_check_constraints = ON');
    try {
      return await writeRows(tx);
    } finally {
      if (options.checkedBySchema) handle.pragma('ignore_check_constraints = OFF');
    }
  }, options.onWaiting);

  async function writeRows(tx: Db): Promise<WriteCounts> {
    const before = countRows();
    let written = 0;
    let changed = 0;
    let insert: ReturnType<typeof handle.prepare> | null = null;
    let columns: string[] = [];
    let valueOf: ReturnType<typeof rowColumns>['valueOf'] = () => null;
    const source = options.crmIdSource;
    const link = source === undefined ? null : [
      handle.prepare('DELETE FROM rep_crm_ids WHERE source = ? AND rep_id = ? AND crm_id <> ?'),
      handle.prepare(`DELETE FROM rep_crm_ids WHERE source = '' AND crm_id = ? AND rep_id <> ? AND ? <> ''`),
      handle.prepare('INSERT INTO rep_crm_ids (source, crm_id, rep_id) VALUES (?, ?, ?) ON CONFLICT (source, crm_id) DO UPDATE SET rep_id = excluded.rep_id WHERE rep_crm_ids.rep_id <> excluded.rep_id'),
    ] as const;
    await body({
      async write(rows, given) {
        if (rows.length === 0) return;
        if (!insert) {
          ({ columns, valueOf } = rowColumns(table, (given ?? Object.keys(rows[0])).filter((c) => !(link && c === 'crm_id'))));
          insert = handle.prepare(`INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${upsertTail(table, columns, 'sqlite')}`);
        }
        const params: unknown[] = new Array(columns.length);
        for (const row of rows) {
          for (let i = 0; i < columns.length; i++) params[i] = valueOf(row, i);
          const rowChanged = insert.run(params).changes;
          const crmId = row.crm_id;
          let linked = 0;
          if (link && crmId !== null && crmId !== undefined) {
            linked += link[0].run(source, row.id, crmId).changes;
            linked += link[1].run(crmId, row.id, source).changes;
            linked += link[2].run(source, crmId, row.id).changes;
          }
          // A rep whose only change is its CRM user id (a link, not a column) is updated too.
          changed += rowChanged || (linked > 0 ? 1 : 0);
        }
        written += rows.length;
      },
    }, tx);
    const inserted = countRows() - before;
    return { inserted, updated: changed - inserted, unchanged: written - changed };
  }
}

/** A value in COPY's text format: \N for null; backslash, tab, CR and LF escaped. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = String(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : text;
}

/** Rows written by one import past which PostgreSQL's planner statistics are refreshed at once. */
const ANALYZE_AFTER_ROWS = 10_000;

async function writePostgres(db: Db, table: string, body: ImportBody, options: WriteOptions): Promise<WriteCounts> {
  if (!db.pool) throw new Error('writeImport: no PostgreSQL pool');
  const client: pg.PoolClient = await db.pool.connect();
  const stage = 'salesflow_import';
  let copy: ReturnType<typeof copyFrom> | null = null;
  let copyError: Error | null = null;
  let columns: string[] | null = null;
  let valueOf: ReturnType<typeof rowColumns>['valueOf'] = () => null;
  let broken = false;
  let written = 0;
  try {
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE ${stage} (LIKE ${quoteIdent(table)} INCLUDING DEFAULTS) ON COMMIT DROP`);
    await body({
      async write(rows, given) {
        if (rows.length === 0) return;
        if (!copy) {
          ({ columns, valueOf } = rowColumns(table, given ?? Object.keys(rows[0])));
          copy = client.query(copyFrom(`COPY ${stage} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
          copy.on('error', (err: Error) => { copyError = err; });
        }
        if (copyError) throw copyError;
        const cols = columns!;
        let chunk = '';
        for (const row of rows) {
          let line = '';
          for (let i = 0; i < cols.length; i++) line += (i ? '\t' : '') + copyText(valueOf(row, i));
          chunk += `${line}\n`;
        }
        written += rows.length;
        if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), once(copy, 'error')]);
      },
    }, db);
    let inserted = 0;
    let changed = 0;
    if (copy) {
      // A COPY the server refused mid-way cannot be ended (pg-copy-streams then fails on a
      // released connection with a TypeError): its own error is the one to report.
      if (copyError) throw copyError;
      const stream = copy as ReturnType<typeof copyFrom>;
      stream.end();
      await finished(stream);
      // The rows were copied alongside other imports; merging them waits for its turn (see IMPORT_LOCK_KEY).
      await client.query(IMPORT_LOCK_SQL);
      const source = options.crmIdSource;
      // crm_id is copied into the staging table (LIKE reps has the column) but links, not written to reps.
      const writtenColumns = source === undefined ? columns! : columns!.filter((c) => c !== 'crm_id');
      const cols = writtenColumns.map(quoteIdent).join(', ');
      // Rows the upsert leaves alone (unchanged) are not returned.
      const result = await client.query(
        `WITH up AS (INSERT INTO ${quoteIdent(table)} (${cols}) SELECT ${cols} FROM ${stage} ${upsertTail(table, writtenColumns, 'postgres')} RETURNING (xmax = 0) AS inserted${source !== undefined ? ', id' : ''})
         SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS changed${source !== undefined ? ', array_agg(id) AS ids' : ''} FROM up`,
      );
      let relinked = 0;
      if (source !== undefined && columns!.includes('crm_id')) {
        // As setRepCrmId (src/data/crm.ts), for all rows at once; a file's crm_ids are unique (its id column).
        // Reps of the file whose links changed, and which the upsert did not already count, are updated too.
        const moved = new Set<string>();
        const note = (rows: { rep_id: string }[]) => { for (const r of rows) moved.add(r.rep_id); };
        note((await client.query(`DELETE FROM rep_crm_ids r USING ${stage} s WHERE r.source = $1 AND r.rep_id = s.id AND s.crm_id IS NOT NULL AND r.crm_id <> s.crm_id RETURNING r.rep_id`, [source])).rows);
        if (source !== '') {
          await client.query(`DELETE FROM rep_crm_ids r USING ${stage} s WHERE r.source = '' AND r.crm_id = s.crm_id AND r.rep_id <> s.id`);
        }
        note((await client.query(`INSERT INTO rep_crm_ids (source, crm_id, rep_id) SELECT $1, crm_id, id FROM ${stage} WHERE crm_id IS NOT NULL
          ON CONFLICT (source, crm_id) DO UPDATE SET rep_id = excluded.rep_id WHERE rep_crm_ids.rep_id <> excluded.rep_id RETURNING rep_id`, [source])).rows);
        const counted = new Set((result.rows[0].ids as string[] | null) ?? []);
        for (const id of moved) if (!counted.has(id)) relinked++;
      }
      inserted = Number(result.rows[0].inserted);
      changed = Number(result.rows[0].changed) + relinked;
    }
    await client.query('COMMIT');
    // A large import changes the table's statistics more than autovacuum will notice for a while,
    // and the next command (often `simulate`) is planned on them: refresh them now. The rows are
    // committed whatever happens here, so a failure only warns.
    if (changed >= ANALYZE_AFTER_ROWS) {
      await client.query(`ANALYZE ${quoteIdent(table)}`).catch((err: Error) => {
        process.stderr.write(`warning: imported, but refreshing the planner statistics of ${table} failed: ${err.message}\n`);
      });
    }
    return { inserted, updated: changed - inserted, unchanged: written - changed };
  } catch (err) {
    await endOpenCopy(copy as ReturnType<typeof copyFrom> | null, copyError);
    await client.query('ROLLBACK').catch(() => { broken = true; });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * A COPY still open when its import fails is ended before the rollback (its rows go to the
 * temporary table the rollback drops); one that failed itself is not waited on.
 */
export async function endOpenCopy(open: ReturnType<typeof copyFrom> | null, failed: Error | null): Promise<void> {
  if (open && !open.writableFinished && !failed) {
    open.end();
    await finished(open).catch(() => undefined);
  }
}
