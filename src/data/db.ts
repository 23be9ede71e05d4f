// Opening the data source named by DATABASE_URL — a SQLite file (the embedded default) or a
// PostgreSQL database — behind one async Kysely query builder, so every store writes its queries
// once. SQLite: WAL for concurrent readers (worker, server, CLI), a busy timeout so writers wait
// instead of failing. PostgreSQL: a `pg` pool; int8 and numeric come back as strings, never floats.
// Either way pending migrations are applied at open, under a lock (src/data/migrate.ts).
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import type { Dialect } from './dialect.js';
import { migratePostgres, migrateSqlite, postgresSchemaVersion } from './migrate.js';
import { migrations, type Migration } from './migrations.js';
import type { Tables } from './schema.js';
import { BetterSqliteDialect } from './sqlite-driver.js';
import { explainConnectError, firstSslTry, postgresPool, sslFallback } from './postgres-connect.js';
import { describeSource, parseDataSource, type DataSource } from './source.js';

export interface Db {
  readonly dialect: Dialect;
  /** The query builder: the whole database, or the transaction this Db was handed in. */
  readonly kysely: Kysely<Tables>;
  /** How the data source is named in messages (PostgreSQL URLs without their password). */
  readonly name: string;
  readonly inTransaction: boolean;
  /** SQLite only: the better-sqlite3 handle (streamed reads). */
  readonly sqlite?: Database.Database;
  /** PostgreSQL only: the pool (streamed reads on a connection of their own). */
  readonly pool?: pg.Pool;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Open without write access (simulate): pending migrations are applied first by a writer connection. */
  readonly?: boolean;
  /** Migrations to apply (tests pass a prefix to build an older data source). */
  migrations?: Migration[];
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

/** A data source problem the user can fix (missing file, not a database, newer schema, bad URL). */
export class DataSourceError extends Error {
  // Recognised by name at the top of the command line, which does not load this module.
  override name = 'DataSourceError';
}

export function latestVersion(list: Migration[] = migrations): number {
  return list.reduce((max, m) => Math.max(max, m.version), 0);
}

export async function schemaVersion(db: Db): Promise<number> {
  if (db.sqlite) return db.sqlite.pragma('user_version', { simple: true }) as number;
  return postgresSchemaVersion(db.kysely);
}

/** Open the data source `target` names (DATABASE_URL: a path, `sqlite:PATH` or a postgres URL) and migrate it. */
export async function openDatabase(target: string | DataSource, options: OpenOptions = {}): Promise<Db> {
  let source: DataSource;
  if (typeof target === 'string') {
    const parsed = parseDataSource(target);
    if (!parsed.ok) throw new DataSourceError(`DATABASE_URL: ${parsed.message}`);
    source = parsed.source;
  } else {
    source = target;
  }
  return source.kind === 'sqlite' ? openSqlite(source.path, options) : openPostgres(source.url, options);
}

/** What `busy_timeout` is set to, and how long a switch to WAL is retried (setWal). */
const BUSY_TIMEOUT_MS = 5000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * `PRAGMA journal_mode = WAL`, waiting as the busy timeout waits elsewhere. Several processes
 * opening a new file at once (three workers and `serve` starting together): SQLite answers a
 * switch it cannot make at that moment with "database is locked" at once, without its busy handler
 * (about 1 start in 100 under load), and that process refused the data source. Retried briefly
 * until another process's switch is done, when the file already is in WAL.
 */
function setWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if (!String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

function configure(db: Database.Database, readonly: boolean): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  if (!readonly) {
    setWal(db);
    // WAL with NORMAL is durable across application crashes and much faster than FULL.
    db.pragma('synchronous = NORMAL');
  }
}

function wrapOpen(path: string, options: Database.Options): Database.Database {
  try {
    return new Database(path, options);
  } catch (err) {
    throw new DataSourceError(`cannot open data source ${path}: ${explainFileProblem(path, err)}`);
  }
}

/**
 * What SQLite's "unable to open database file" or "attempt to write a readonly database" means
 * for this path, in words that say what to change (it is almost always file permissions).
 */
function explainFileProblem(path: string, err: unknown): string {
  const code = String((err as { code?: unknown }).code ?? '');
  const writable = (p: string) => { try { accessSync(p, constants.W_OK); return true; } catch { return false; } };
  if (code === 'SQLITE_READONLY_DIRECTORY' || (code.startsWith('SQLITE_READONLY') && writable(path))) {
    // Even a reader of a database in WAL mode creates PATH-shm beside it.
    return `SQLite needs to create ${path}-shm beside it (the database is in WAL mode), and this user may not write in the folder ${dirname(path)}`;
  }
  if (code.startsWith('SQLITE_READONLY') || (existsSync(path) && !writable(path))) {
    return `the file is read-only for this user; salesflow writes to it (and to ${path}-wal and ${path}-shm beside it): give this user write permission on the file and its folder`;
  }
  if (code === 'SQLITE_CANTOPEN' && !existsSync(path) && !writable(dirname(path))) {
    return `cannot create the file: this user may not write in the folder ${dirname(path)}`;
  }
  return (err as Error).message;
}

/** The SQLite file's folder exists (created on first use, like the default var/) and the path is not a folder. */
function prepareSqlitePath(path: string): void {
  if (path === ':memory:') return;
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new DataSourceError(`cannot open data source ${path}: it is a folder; DATABASE_URL names the database file, e.g. ${path.replace(/\/+$/, '')}/salesflow.db`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of the path is a file' : (err as Error).message;
    throw new DataSourceError(`cannot create the folder ${dirname(path)} for data source ${path}: ${why}`);
  }
}

function sqliteDb(handle: Database.Database, path: string): Db {
  const kysely = new Kysely<Tables>({ dialect: new BetterSqliteDialect(handle) });
  return { dialect: 'sqlite', kysely, name: path, inTransaction: false, sqlite: handle, close: () => kysely.destroy() };
}

function openSqliteSync(path: string, options: OpenOptions): Database.Database {
  const list = options.migrations ?? migrations;
  if (options.readonly) {
    if (path !== ':memory:' && !existsSync(path)) {
      throw new DataSourceError(`no data source at ${path} (load data first with "salesflow import --kind reps FILE.csv")`);
    }
    const probe = wrapOpen(path, { readonly: true, fileMustExist: true });
    let version: number;
    try {
      version = probe.pragma('user_version', { simple: true }) as number;
    } catch (err) {
      probe.close();
      if (/^SQLITE_(READONLY|CANTOPEN)/.test(String((err as { code?: unknown }).code ?? ''))) {
        throw new DataSourceError(`cannot read data source ${path}: ${explainFileProblem(path, err)}`);
      }
      throw new DataSourceError(`${path} is not a salesflow data source: ${(err as Error).message}`);
    }
    if (version >= latestVersion(list)) {
      configure(probe, true);
      return probe;
    }
    probe.close();
    openSqliteSync(path, { migrations: list }).close();
    const handle = wrapOpen(path, { readonly: true, fileMustExist: true });
    configure(handle, true);
    return handle;
  }
  prepareSqlitePath(path);
  const handle = wrapOpen(path, {});
  try {
    configure(handle, false);
    migrateSqlite(handle, path, list);
  } catch (err) {
    handle.close();
    if (err instanceof DataSourceError) throw err;
    if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_READONLY')) {
      throw new DataSourceError(`cannot write data source ${path}: ${explainFileProblem(path, err)}`);
    }
    throw new DataSourceError(`${path} is not a usable salesflow data source: ${(err as Error).message}`);
  }
  return handle;
}

async function openSqlite(path: string, options: OpenOptions): Promise<Db> {
  return sqliteDb(openSqliteSync(path, options), path);
}

async function openPostgres(url: string, options: OpenOptions): Promise<Db> {
  const name = describeSource({ kind: 'postgres', url });
  let pool = connectPool(firstSslTry(url), options);
  try {
    try {
      await migratePostgres(pool, name, options.migrations ?? migrations);
    } catch (err) {
      // sslmode=prefer|allow: the first connection tells whether the server takes SSL.
      const fallback = sslFallback(url, err);
      if (fallback === null) throw err;
      await pool.end();
      pool = connectPool(fallback, options);
      await migratePostgres(pool, name, options.migrations ?? migrations);
    }
  } catch (err) {
    if (!pool.ended) await pool.end();
    if (err instanceof DataSourceError) throw err;
    throw new DataSourceError(`cannot use PostgreSQL data source ${name}: ${explainConnectError(url, err) ?? (err as Error).message}`);
  }
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  // Kysely ends the pool only if it ran a query itself; the migration used the pool directly.
  const close = async () => {
    await kysely.destroy();
    if (!pool.ended) await pool.end();
  };
  return { dialect: 'postgres', kysely, name, inTransaction: false, pool, close };
}

function connectPool(url: string, options: OpenOptions): pg.Pool {
  const pool = postgresPool(url, options.poolSize ?? 10);
  // An idle connection dropped by a PostgreSQL restart must not crash the process; the next
  // query takes a fresh connection.
  pool.on('error', (err) => { process.stderr.write(`salesflow: PostgreSQL connection lost (${err.message}); reconnecting on next use\n`); });
  // The pool listens for errors only on idle connections. One cut while checked out between two
  // statements (a transaction awaiting its next query when the server restarts) would raise an
  // unhandled 'error' and end the process; with this listener the next statement on it fails
  // instead (the transaction rolls back, its activity or request is retried) and the pool drops it.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // Rule literals reach SQL as quoted text ('O''Brien', sql-condition.ts). A database or role set
    // to standard_conforming_strings = off (a legacy default) reads a backslash there as an escape:
    // `"Core\\Plus"` would match nothing and a literal ending in one would run on into SQL. Queued
    // before any query the connection is handed out for.
    client.query('SET standard_conforming_strings = on').catch(() => {});
  });
  return pool;
}

/**
 * Run `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so concurrent writers queue up instead of
 * failing half-way); a Db already in a transaction runs `fn` in it.
 */
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.inTransaction) return fn(db);
  return db.kysely.transaction().execute((trx) => fn({ ...db, kysely: trx, inTransaction: true }));
}

/**
 * Several reads that must agree with each other (a ledger export and the list of what it leaves
 * out) while other processes keep writing: one snapshot for all of them, blocking no writer.
 * SQLite: a deferred BEGIN (WAL readers keep the snapshot of their first read to the end);
 * PostgreSQL: a read-only REPEATABLE READ transaction.
 */
export async function readSnapshot<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.inTransaction) return fn(db);
  if (db.dialect === 'postgres') {
    return db.kysely.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
      .execute((trx) => fn({ ...db, kysely: trx, inTransaction: true }));
  }
  // One handle, one connection: the reads `fn` makes run inside this transaction.
  db.sqlite!.exec('BEGIN');
  try {
    return await fn({ ...db, inTransaction: true });
  } finally {
    db.sqlite!.exec('COMMIT');
  }
}

/**
 * How long an import waits for another writer of a SQLite file. An import holds the write lock for
 * its whole file (one transaction, so nothing is ever half-imported), which for a large file is
 * longer than SQLite's 5 s busy timeout; a second import queues up behind it instead of failing.
 */
export const SQLITE_IMPORT_LOCK_WAIT_MS = 10 * 60_000;

/**
 * PostgreSQL: imports merge their rows one at a time, under this transaction-scoped advisory lock.
 * Two imports upserting overlapping ids in different orders would otherwise deadlock (PostgreSQL
 * then aborts one of them: nothing half-written, but the user has to run it again).
 */
export const IMPORT_LOCK_KEY = '7325917042190311001';

/**
 * Takes IMPORT_LOCK_KEY until the transaction ends (every PostgreSQL import path runs this). Waiting
 * for another import is not this import being slow: a statement_timeout set on the role does not
 * cancel the wait, and applies again to the statements after it.
 */
export const IMPORT_LOCK_SQL = `SET LOCAL statement_timeout = 0; SELECT pg_advisory_xact_lock(${IMPORT_LOCK_KEY}::bigint); SET LOCAL statement_timeout TO DEFAULT`;

/**
 * `transaction` for imports: on SQLite, a BEGIN IMMEDIATE refused because another process holds
 * the write lock is tried again (`onWaiting` is told once) until SQLITE_IMPORT_LOCK_WAIT_MS have
 * passed. Only BEGIN is retried: `fn` has not run then, and once begun WAL mode needs no other
 * lock to commit. On PostgreSQL imports take IMPORT_LOCK_KEY first.
 */
export async function importTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>, onWaiting?: () => void): Promise<T> {
  if (db.dialect === 'postgres' && !db.inTransaction) {
    return transaction(db, async (tx) => {
      await sql.raw(IMPORT_LOCK_SQL).execute(tx.kysely);
      return fn(tx);
    });
  }
  if (!db.sqlite || db.inTransaction) return transaction(db, fn);
  const deadline = Date.now() + SQLITE_IMPORT_LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    let began = false;
    try {
      return await transaction(db, (tx) => { began = true; return fn(tx); });
    } catch (err) {
      if (began || !/^SQLITE_BUSY/.test(String((err as { code?: unknown }).code ?? ''))) throw err;
      if (Date.now() >= deadline) {
        throw new DataSourceError(`${db.name} stayed locked by another writer for ${SQLITE_IMPORT_LOCK_WAIT_MS / 60_000} minutes; nothing was imported`);
      }
      if (!told) { onWaiting?.(); told = true; }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Rows of a raw `sql` query (tests, dev pages, one-off counts). */
export async function rows<T>(db: Db, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(db.kysely)).rows;
}

/** The first column of the first row, or undefined; int8 counts on PostgreSQL are turned into numbers. */
export async function scalar(db: Db, query: RawBuilder<unknown>): Promise<unknown> {
  const row = (await query.execute(db.kysely)).rows[0] as Record<string, unknown> | undefined;
  return row === undefined ? undefined : Object.values(row)[0];
}

/** The first column of every row. */
export async function column(db: Db, query: RawBuilder<unknown>): Promise<unknown[]> {
  return (await query.execute(db.kysely)).rows.map((row) => Object.values(row as Record<string, unknown>)[0]);
}

/** A COUNT(...) as a JS number (counts of rows fit; PostgreSQL returns int8 as text). */
export async function countOf(db: Db, query: RawBuilder<unknown>): Promise<number> {
  return Number(await scalar(db, query) ?? 0);
}

/** The record's values of these columns, null where it has none (a row to insert). */
export function columnsOf<C extends string>(record: object, columns: readonly C[]): Record<C, unknown> {
  const values = record as Record<string, unknown>;
  return Object.fromEntries(columns.map((c) => [c, values[c] ?? null])) as Record<C, unknown>;
}

/** An ON CONFLICT update set without the columns in `keep` (left as stored). */
export function withoutKept<T extends Record<string, unknown>>(set: T, keep: readonly string[]): T {
  if (keep.length === 0) return set;
  return Object.fromEntries(Object.entries(set).filter(([column]) => !keep.includes(column))) as T;
}

export { sql };
