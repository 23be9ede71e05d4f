// A temporary staging table for an import whose checks span rows (credits: shares per deal), so
// the file is never held in memory: rows are added in batches as they are read, checked across
// rows in SQL, and copied to their table from there, all in the import's one transaction.
//
// SQLite: the import's BEGIN IMMEDIATE transaction (importTransaction), rows inserted with one
// prepared statement on the connection's handle; the temporary table lives in SQLite's temporary
// file (temp_store FILE), its page cache bounded by cache_size, and is dropped before commit.
// PostgreSQL: a connection of its own, rows sent with COPY into a table dropped at commit
// (temp_buffers bound its memory, the rest spills to disk). As writeImport does, rows are copied
// alongside other imports and the import lock (IMPORT_LOCK_SQL) is taken only once they are in.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { placeholders, type Dialect } from './dialect.js';
import { IMPORT_LOCK_SQL, importTransaction, type Db } from './db.js';
import { copyText, endOpenCopy } from './import-write.js';
import { forDialect } from './migrations.js';

export interface Stage {
  readonly dialect: Dialect;
  /** Rows for the staging table, each its values in the table's column order. */
  add(rows: unknown[][]): Promise<void>;
  /**
   * Every row is added: from here on the import holds the import lock (PostgreSQL; SQLite's
   * transaction holds the write lock from its start), so the checks see what other imports wrote.
   */
  lock(): Promise<void>;
  /** The rows of a query (`?` placeholders), as objects by column name. */
  all(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  run(text: string, params?: unknown[]): Promise<void>;
}

export interface StageTable {
  name: string;
  /** Columns in SQLite's words (turned into PostgreSQL's by forDialect), in the order `add` gives values. */
  columns: { name: string; type: string }[];
}

/** Thrown by a body to end the import with nothing written; `withStage` rolls back and rethrows it. */
export class RolledBack<T> extends Error {
  constructor(readonly value: T) { super('rolled back'); }
}

/**
 * Run `body` with an empty staging table inside one import transaction, committed when `body`
 * returns. When `body` throws (RolledBack to refuse the file) nothing is written.
 */
export async function withStage<T>(db: Db, table: StageTable, body: (stage: Stage) => Promise<T>, onWaiting?: () => void): Promise<T> {
  if (db.inTransaction) throw new Error('withStage: an import runs its own transaction; pass a Db outside one');
  const ddl = forDialect(`CREATE TEMP TABLE ${table.name} (${table.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`, db.dialect);
  return db.sqlite ? stageSqlite(db, table, ddl, body, onWaiting) : stagePostgres(db, table, ddl, body);
}

async function stageSqlite<T>(db: Db, table: StageTable, ddl: string, body: (stage: Stage) => Promise<T>, onWaiting?: () => void): Promise<T> {
  const handle = db.sqlite!;
  return importTransaction(db, async () => {
    // A table left by an import that died mid-way on this connection (a temporary table is the connection's own).
    handle.exec(`DROP TABLE IF EXISTS temp.${table.name}`);
    handle.exec(ddl);
    try {
      const insert = handle.prepare(`INSERT INTO temp.${table.name} VALUES (${table.columns.map(() => '?').join(', ')})`);
      return await body({
        dialect: 'sqlite',
        async add(rows) { for (const row of rows) insert.run(row); },
        async lock() {},
        async all(text, params = []) { return handle.prepare(text).all(params) as Record<string, unknown>[]; },
        async run(text, params = []) { handle.prepare(text).run(params); },
      });
    } finally {
      handle.exec(`DROP TABLE IF EXISTS temp.${table.name}`);
    }
  }, onWaiting);
}

async function stagePostgres<T>(db: Db, table: StageTable, ddl: string, body: (stage: Stage) => Promise<T>): Promise<T> {
  if (!db.pool) throw new Error('withStage: no PostgreSQL pool');
  const client: pg.PoolClient = await db.pool.connect();
  let copy: ReturnType<typeof copyFrom> | null = null;
  let copyError: Error | null = null;
  let broken = false;
  const endCopy = async () => {
    if (!copy) return;
    const open = copy;
    copy = null;
    // A COPY the server refused mid-way cannot be ended (see writeImport): its own error is the one to report.
    if (copyError) throw copyError;
    open.end();
    await finished(open);
  };
  try {
    await client.query('BEGIN');
    await client.query(`${ddl} ON COMMIT DROP`);
    const value = await body({
      dialect: 'postgres',
      async add(rows) {
        if (rows.length === 0) return;
        if (!copy) {
          copy = client.query(copyFrom(`COPY ${table.name} FROM STDIN`));
          copy.on('error', (err: Error) => { copyError = err; });
        }
        if (copyError) throw copyError;
        let chunk = '';
        for (const row of rows) chunk += `${row.map(copyText).join('\t')}\n`;
        // Waits for the server to take what is sent (memory stays one batch); an error ends the
        // wait too (events.once rejects on it) and is thrown by the next add or query.
        if (!copy.write(chunk)) await once(copy, 'drain').catch(() => undefined);
      },
      async lock() {
        await endCopy();
        // A temporary table has no statistics until analysed (autovacuum does not see it): planned
        // blind, the checks' joins over a million staged rows may pick nested loops.
        await client.query(`ANALYZE ${table.name}`);
        await client.query(IMPORT_LOCK_SQL);
      },
      async all(text, params = []) {
        await endCopy();
        return (await client.query({ text: placeholders('postgres', text), values: params })).rows as Record<string, unknown>[];
      },
      async run(text, params = []) {
        await endCopy();
        await client.query({ text: placeholders('postgres', text), values: params });
      },
    });
    await endCopy();
    await client.query('COMMIT');
    return value;
  } catch (err) {
    await endOpenCopy(copy as ReturnType<typeof copyFrom> | null, copyError);
    await client.query('ROLLBACK').catch(() => { broken = true; });
    throw err;
  } finally {
    client.release(broken);
  }
}
