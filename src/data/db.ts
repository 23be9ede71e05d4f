// Opening the SQLite data source: WAL for concurrent readers (worker, server, CLI), a busy timeout
// so writers wait instead of failing, and every migration applied in order, each in its own
// transaction, recorded both in `schema_version` and in PRAGMA user_version.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrations, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Open without write access (simulate): pending migrations are applied first by a writer connection. */
  readonly?: boolean;
  /** Migrations to apply (tests pass a prefix to build an older file). */
  migrations?: Migration[];
}

/** A data source problem the user can fix (missing file, not a database, newer schema). */
export class DataSourceError extends Error {}

export function latestVersion(list: Migration[] = migrations): number {
  return list.reduce((max, m) => Math.max(max, m.version), 0);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function configure(db: Db, readonly: boolean): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // WAL with NORMAL is durable across application crashes and much faster than FULL.
    db.pragma('synchronous = NORMAL');
  }
}

function migrate(db: Db, list: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = schemaVersion(db);
  const latest = latestVersion(list);
  if (current > latest) {
    throw new DataSourceError(
      `${db.name} has schema version ${current}, newer than this salesflow knows (${latest}); upgrade salesflow`,
    );
  }
  const pending = [...list].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of pending) {
    // One transaction per migration: a failure leaves the file at the previous version.
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.description, new Date().toISOString());
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

function wrapOpen(path: string, options: Database.Options): Db {
  try {
    return new Database(path, options);
  } catch (err) {
    throw new DataSourceError(`cannot open data source ${path}: ${(err as Error).message}`);
  }
}

/** Open (creating folder and file when writable) and migrate the data source at `path`. */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const list = options.migrations ?? migrations;
  if (options.readonly) {
    if (path !== ':memory:' && !existsSync(path)) {
      throw new DataSourceError(`no data source at ${path} (load data first with "salesflow import --kind reps FILE.csv")`);
    }
    const probe = wrapOpen(path, { readonly: true, fileMustExist: true });
    let version: number;
    try {
      version = schemaVersion(probe);
    } catch (err) {
      probe.close();
      throw new DataSourceError(`${path} is not a salesflow data source: ${(err as Error).message}`);
    }
    if (version >= latestVersion(list)) {
      configure(probe, true);
      return probe;
    }
    probe.close();
    openDatabase(path, { migrations: list }).close();
    const db = wrapOpen(path, { readonly: true, fileMustExist: true });
    configure(db, true);
    return db;
  }
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = wrapOpen(path, {});
  try {
    configure(db, false);
    migrate(db, list);
  } catch (err) {
    db.close();
    if (err instanceof DataSourceError) throw err;
    throw new DataSourceError(`${path} is not a usable salesflow data source: ${(err as Error).message}`);
  }
  return db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement cached per connection: stores run the same few statements many times. */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) { cache = new Map(); statementCache.set(db, cache); }
  let stmt = cache.get(sql);
  if (!stmt) { stmt = db.prepare(sql); cache.set(sql, stmt); }
  return stmt;
}
