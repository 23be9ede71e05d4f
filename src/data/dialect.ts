// The few places SQLite and PostgreSQL differ, each a small named helper, so every query is
// written once: string aggregation, control characters, streaming large results, the SQLite-only
// scan hint, and placeholders. Everything else (upserts with ON CONFLICT, RETURNING, IS DISTINCT
// FROM, TRUE/FALSE, window functions) both dialects spell the same way.
import type { CompiledQuery } from 'kysely';
import type { Db } from './db.js';

export type Dialect = 'sqlite' | 'postgres';

/** `GROUP_CONCAT(expr, sep)` / `string_agg(expr, sep)`: values joined by `sep` (an SQL text expression). */
export function groupConcat(dialect: Dialect, expr: string, sep: string): string {
  return dialect === 'sqlite' ? `GROUP_CONCAT(${expr}, ${sep})` : `string_agg(${expr}, ${sep})`;
}

/** The one-character text with this code: `char(n)` / `chr(n)`. */
export function chr(dialect: Dialect, code: number): string {
  return dialect === 'sqlite' ? `char(${code})` : `chr(${code})`;
}

/**
 * A query's text with `?` placeholders as the dialect numbers them: SQLite takes `?`, PostgreSQL
 * `$1, $2, ...`. For raw queries written once for both (the text must hold no other `?`).
 */
export function placeholders(dialect: Dialect, text: string): string {
  if (dialect === 'sqlite') return text;
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** Memory for the sorts and hashes of one streamed read on PostgreSQL (SET LOCAL, that transaction only). */
const STREAM_WORK_MEM = '64MB';

/** Rows of a streamed read, as arrays of column values in select order. */
export type RawRow = unknown[];

/**
 * A large read (1M deals, 100k reps) handed over in batches without loading it all: SQLite
 * iterates its statement; PostgreSQL reads through a server-side cursor on its own connection, so
 * two streams may be open at once (simulate reads reps and metrics side by side). Leaving the
 * loop early (break, throw) closes the cursor.
 */
export interface StreamOptions {
  /**
   * PostgreSQL: plan the cursor for all of its rows (cursor_tuple_fraction 1) instead of its first
   * tenth. For joins of the period's deals with their credit shares: planned for first rows on
   * tables not analysed since an import, that join became a nested loop over every share per deal
   * (35 s for 50k deals instead of 1 s). Grouped scans keep the default, which streams groups as
   * they are made, so the caller's statements overlap the server's scan (all-rows plans there
   * aggregate everything first: 580 ms instead of 465 for 100k reps).
   */
  planForAllRows?: boolean;
}

/**
 * Rows SQLite hands over at a time, whatever `batch` asks. A batch costs no round trip there, and
 * its rows not yet consumed are live young objects that every scavenge copies: with batches of
 * 2,000 grouped rows (5,000 reps) beside the statements computed from them, the young-generation
 * collections of a 100k-rep `simulate` took about three times as long as with 256.
 */
const SQLITE_HANDOVER = 256;

/** `batch`: rows per FETCH round trip on PostgreSQL; SQLite hands over SQLITE_HANDOVER at most. */
export async function* streamRows(db: Db, query: CompiledQuery, batch = 2000, options: StreamOptions = {}): AsyncGenerator<RawRow[]> {
  if (db.sqlite) {
    const size = Math.min(batch, SQLITE_HANDOVER);
    let rows: RawRow[] = [];
    // A fresh statement: one statement cannot be iterated by two readers at once.
    for (const row of db.sqlite.prepare(query.sql).raw(true).iterate(...(query.parameters as unknown[]))) {
      rows.push(row as RawRow);
      if (rows.length >= size) { yield rows; rows = []; }
    }
    if (rows.length) yield rows;
    return;
  }
  if (!db.pool) throw new Error('streamRows: no connection');
  const client = await db.pool.connect();
  let open = false;
  try {
    // One snapshot for the whole read, like SQLite's read transaction.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    // Grouped scans sort a quarter's deals by rep: with the default 4 MB that sort spills to disk
    // and takes about three times as long. For this read only.
    await client.query(`SET LOCAL work_mem = '${STREAM_WORK_MEM}'`);
    // A cursor is planned for its first rows (cursor_tuple_fraction 0.1) unless asked otherwise.
    if (options.planForAllRows) await client.query('SET LOCAL cursor_tuple_fraction = 1.0');
    await client.query({ text: `DECLARE salesflow_stream NO SCROLL CURSOR FOR ${query.sql}`, values: [...query.parameters] });
    const fetch = () => {
      const pending = client.query({ text: `FETCH ${batch} FROM salesflow_stream`, rowMode: 'array' });
      // Marked handled now: a failure surfaces where the batch is awaited, not as an unhandled rejection meanwhile.
      pending.catch(() => undefined);
      return pending;
    };
    // The next batch is asked for before this one is handed over, so the server computes it
    // while the caller works through this one.
    let next: Promise<{ rows: unknown[] }> | null = fetch();
    try {
      for (;;) {
        const result = await next;
        if (result.rows.length === 0) { next = null; break; }
        next = fetch();
        yield result.rows as RawRow[];
      }
    } finally {
      // Left early: the FETCH in flight is answered (or fails) before the transaction ends.
      if (next) await next.catch(() => undefined);
    }
    await client.query('COMMIT');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
