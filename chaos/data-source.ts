// The data source every process of a run shares, chosen by one value: DATABASE_URL. The harness
// reads the outbox and the ledger straight from it (plain SQL both dialects accept) to check what
// the product recorded, and can restart it when it is a server.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface DataSource {
  /** DATABASE_URL for every salesflow process. */
  url: string;
  describe: string;
  /** Stops and starts the database server; a file has nothing to restart (returns what it did). */
  restart(): Promise<string>;
  query<T>(sql: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** The embedded default: one SQLite file (WAL) that every process on this host opens. */
export function sqliteDataSource(dir: string): DataSource {
  const file = path.join(dir, 'salesflow.db');
  fs.mkdirSync(dir, { recursive: true });
  return {
    url: file,
    describe: `SQLite file ${file}`,
    restart: async () => 'SQLite is a file inside each process: there is no database server to restart',
    async query<T>(sql: string): Promise<T[]> {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try { return db.prepare(sql).all() as T[]; } finally { db.close(); }
    },
    stop: async () => {},
  };
}
