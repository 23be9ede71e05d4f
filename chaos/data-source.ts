// The data source every process of a run shares, chosen by one value: DATABASE_URL. The harness
// reads the outbox and the ledger straight from it (plain SQL both dialects accept) to check what
// the product recorded, and can restart it when it is a server.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freePort } from '../src/temporal/index.js';

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

const PG_BIN = process.env.SALESFLOW_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** True when a throwaway PostgreSQL cluster can be started here (Debian's postgresql 15 package). */
export function postgresAvailable(): boolean {
  return fs.existsSync(path.join(PG_BIN, 'initdb')) && fs.existsSync(path.join(PG_BIN, 'pg_ctl'));
}

/**
 * A throwaway PostgreSQL cluster in a temp folder on a free loopback port: initdb, then pg_ctl,
 * run as the `postgres` user when we are root (the server refuses to run as root). Restart is
 * `pg_ctl restart -m immediate`: every connection is cut and the server recovers from its WAL, as
 * after a crash.
 */
export async function postgresDataSource(): Promise<DataSource> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-pg-'));
  const asPostgres = (tool: string, args: string[]) => {
    const cmd = path.join(PG_BIN, tool);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dataDir]);
  const port = await freePort();
  asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -h 127.0.0.1 -k ${dataDir} -c fsync=off -c max_connections=200`;
  const ctl = (action: string, ...extra: string[]) => asPostgres('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dataDir, 'server.log'), '-w', ...extra, action]);
  ctl('start');
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE salesflow');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${port}/salesflow`;
  return {
    url,
    describe: `PostgreSQL 15 (throwaway cluster, port ${port})`,
    async restart() {
      const t = Date.now();
      ctl('restart', '-m', 'immediate');
      return `PostgreSQL restarted (pg_ctl restart -m immediate: connections cut, crash recovery) in ${Date.now() - t} ms`;
    },
    async query<T>(sql: string): Promise<T[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try { return (await client.query(sql)).rows as T[]; } finally { await client.end(); }
    },
    async stop() {
      try { ctl('stop', '-m', 'immediate'); } catch { /* already stopped */ }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
