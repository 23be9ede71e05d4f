// A Kysely driver for better-sqlite3 that differs from Kysely's own in two ways that matter here:
// transactions start with BEGIN IMMEDIATE (a writer takes the write lock up front, so two
// processes never deadlock upgrading a read lock and the busy timeout applies), and statements
// are prepared once per connection (imports and the worker run the same few statements many times).
import type Database from 'better-sqlite3';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver,
  type Kysely, type QueryCompiler, type QueryResult,
} from 'kysely';

class Connection implements DatabaseConnection {
  readonly #cache = new Map<string, Database.Statement>();
  constructor(readonly handle: Database.Database) {}

  statement(sql: string): Database.Statement {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.handle.prepare(sql);
      // Dynamic SQL (metric scans) would grow the cache without bound; keep the common ones.
      if (this.#cache.size > 500) this.#cache.clear();
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.statement(query.sql);
    const params = query.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(...params) as R[] });
    const { changes, lastInsertRowid } = stmt.run(...params);
    return Promise.resolve({ rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) });
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    let rows: R[] = [];
    // Not the cached statement: a statement can be iterated by one reader at a time.
    for (const row of this.handle.prepare(query.sql).iterate(...(query.parameters as unknown[]))) {
      rows.push(row as R);
      if (rows.length >= chunkSize) { yield { rows }; rows = []; }
    }
    if (rows.length) yield { rows };
  }
}

/** SQLite has one connection per handle: callers take turns (a transaction holds it to its end). */
class SqliteDriver implements Driver {
  readonly #connection: Connection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;

  constructor(handle: Database.Database) { this.#connection = new Connection(handle); }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => { release = resolve; });
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async destroy(): Promise<void> {
    this.#connection.handle.close();
  }
}

export class BetterSqliteDialect implements Dialect {
  constructor(private readonly handle: Database.Database) {}
  createDriver(): Driver { return new SqliteDriver(this.handle); }
  createQueryCompiler(): QueryCompiler { return new SqliteQueryCompiler(); }
  createAdapter(): DialectAdapter { return new SqliteAdapter(); }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector { return new SqliteIntrospector(db); }
}
