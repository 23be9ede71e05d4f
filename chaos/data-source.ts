// The data source every process of a run shares, chosen by one value: DATABASE_URL. The harness
// reads the outbox and the ledger straight from it (plain SQL both dialects accept) to check what
// the product recorded, and can restart it when it is a server.
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, rows, sql } from '../src/data/db.js';
import { postgresUnavailable, startPostgres } from '../tests/support/postgres.js';

export interface DataSource {
  /** DATABASE_URL for every salesflow process. */
  url: string;
  describe: string;
  /** Stops and starts the database server; a file has nothing to restart (returns what it did). */
  restart(): Promise<string>;
  query<T>(sql: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** Plain SQL through the product's own data layer, on a connection of its own. */
async function query<T>(url: string, text: string): Promise<T[]> {
  const db = await openDatabase(url);
  try { return await rows(db, sql.raw<T>(text)); } finally { await db.close(); }
}

/** The embedded default: one SQLite file (WAL) that every process on this host opens. */
export function sqliteDataSource(dir: string): DataSource {
  const file = path.join(dir, 'salesflow.db');
  fs.mkdirSync(dir, { recursive: true });
  return {
    url: file,
    describe: `SQLite file ${file}`,
    restart: async () => 'SQLite is a file inside each process: there is no database server to restart',
    query: <T>(text: string) => query<T>(file, text),
    stop: async () => {},
  };
}

/** Why no PostgreSQL cluster can be started here, or null when it can. */
export { postgresUnavailable };

/**
 * A throwaway PostgreSQL cluster (the tests' one: initdb and pg_ctl, as the `postgres` user when
 * root, on a free loopback port) with one database for the run. Restart stops the server (fast
 * shutdown: every connection is cut) and starts it again on the same port and data.
 */
export async function postgresDataSource(): Promise<DataSource> {
  const cluster = await startPostgres();
  const url = await cluster.createDatabase('salesflow');
  return {
    url,
    describe: `PostgreSQL (throwaway cluster on port ${cluster.port})`,
    async restart() {
      const t = Date.now();
      cluster.restart();
      return `PostgreSQL stopped (every connection cut) and started again in ${Date.now() - t} ms`;
    },
    query: <T>(text: string) => query<T>(url, text),
    stop: async () => cluster.stop(),
  };
}

/**
 * The data source tests run on: PostgreSQL, what production runs, where its binaries are installed
 * (CI installs them); otherwise the shared SQLite file, which is the same product on one host.
 */
export async function preferredDataSource(dir: string): Promise<DataSource> {
  return postgresUnavailable ? sqliteDataSource(path.join(dir, 'data')) : postgresDataSource();
}
