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
  /**
   * SQL for an outbox row's commit time (of its last write: marking it sent), in epoch
   * milliseconds as text; null when the database does not record commit times (SQLite).
   */
  commitTimeSql: string | null;
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
    commitTimeSql: null,
    stop: async () => {},
  };
}

/** Why no PostgreSQL cluster can be started here, or null when it can. */
export { postgresUnavailable };

/**
 * A throwaway PostgreSQL cluster (the tests' one: initdb and pg_ctl, as the `postgres` user when
 * root, on a free loopback port) with one database for the run. Restart stops the server (fast
 * shutdown: every connection is cut) and starts it again on the same port and data. The server
 * records commit times, so the tally can say how long after the SMTP server accepted a message
 * its outbox row was committed as sent (the window in which a killed worker repeats an email).
 */
export async function postgresDataSource(): Promise<DataSource> {
  const cluster = await startPostgres(['track_commit_timestamp=on']);
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
    commitTimeSql: '(extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000)::text',
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
