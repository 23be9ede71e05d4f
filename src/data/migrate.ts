// Applying migrations under a lock, so two processes starting together (a worker and `serve`,
// three workers) never both migrate: each migration runs in its own transaction that first takes
// the lock and then re-reads the version, so the second process finds the work done and skips it.
// SQLite: BEGIN IMMEDIATE (the database write lock). PostgreSQL: a transaction-scoped advisory lock.
import type Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { DataSourceError } from './db.js';
import { forDialect, type Migration } from './migrations.js';

/** The advisory lock key every salesflow process migrates under (any fixed int64; "salesflw"). */
export const MIGRATION_LOCK_KEY = 0x73616c6573666c77n;

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`;

function newerError(name: string, current: number, latest: number): DataSourceError {
  return new DataSourceError(`${name} has schema version ${current}, newer than this salesflow knows (${latest}); upgrade salesflow`);
}

const sorted = (list: Migration[]) => [...list].sort((a, b) => a.version - b.version);
const latestOf = (list: Migration[]) => list.reduce((max, m) => Math.max(max, m.version), 0);

export function migrateSqlite(db: Database.Database, name: string, list: Migration[]): void {
  const latest = latestOf(list);
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > latest) throw newerError(name, version(), latest);
  for (const m of sorted(list)) {
    if (m.version <= version()) continue;
    // The write lock first, then the version again: another process may have applied it meanwhile.
    db.transaction(() => {
      db.exec(createVersionTable);
      if (m.version <= version()) return;
      db.exec(forDialect(m.sql, 'sqlite'));
      m.backfill?.sqlite(db);
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)')
        .run(m.version, m.description, new Date().toISOString());
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export async function postgresSchemaVersion<T>(db: Kysely<T>): Promise<number> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_version')::text AS t`.execute(db);
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await sql<{ v: string | number | null }>`SELECT max(version) AS v FROM schema_version`.execute(db);
  return Number(rows[0]?.v ?? 0);
}

/**
 * Whether the version table exists is read from pg_class with the statement's own snapshot, not
 * with to_regclass: that goes through the backend's catalog cache, which keeps "no such table"
 * from a look before the migration lock was taken, and is not refreshed by waiting on an advisory
 * lock. A process that looked, then waited for another's first migration, saw no table and ran
 * that migration again ("relation already exists").
 */
async function currentPostgresVersion(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace WHERE c.relname = 'schema_version' AND ns.nspname = current_schema()");
  if (exists.rows[0].n === '0') return 0;
  const { rows } = await client.query<{ v: string | null }>('SELECT max(version) AS v FROM schema_version');
  return Number(rows[0].v ?? 0);
}

/**
 * A migration PostgreSQL refused for the user's rights, the search_path or a table of another
 * application by the same name, said as what to grant or create. A production role often may not CREATE in the schema (PostgreSQL 15 no longer lets
 * every user create in `public`), or the search_path names a schema nobody created yet.
 */
async function migrationRefused(client: pg.PoolClient, name: string, pending: number, err: unknown): Promise<DataSourceError | null> {
  const code = String((err as { code?: unknown }).code ?? '');
  if (code !== '42501' && code !== '3F000' && code !== '42P07') return null;
  const who = await client.query<{ u: string; s: string | null; p: string }>('SELECT current_user AS u, current_schema() AS s, current_setting(\'search_path\') AS p')
    .then((r) => r.rows[0], () => null);
  const user = who?.u ?? 'the user in DATABASE_URL';
  const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
  const what = `${name} needs ${pending} migration${pending === 1 ? '' : 's'} (salesflow creates and alters its tables when its schema is behind), and PostgreSQL refused: ${(err as Error).message}`;
  if (code === '42P07') {
    // The database already holds another application's tables by salesflow's names.
    return new DataSourceError(`${what}. Schema ${quote(who?.s ?? 'public')} holds tables salesflow did not create; the migration was rolled back. ` +
      'Give salesflow a database of its own, or a schema: CREATE SCHEMA salesflow, then add ?options=-c%20search_path%3Dsalesflow to DATABASE_URL');
  }
  if (code === '3F000' || !who?.s) {
    return new DataSourceError(`${what}. The search_path (${who?.p ?? '?'}) names no schema that exists: create it, e.g. CREATE SCHEMA salesflow AUTHORIZATION ${quote(user)}, or change options=-c search_path=… in DATABASE_URL`);
  }
  return new DataSourceError(`${what}. User ${quote(user)} needs to own the database or the schema, or CREATE on schema ${quote(who.s)} (GRANT CREATE ON SCHEMA ${quote(who.s)} TO ${quote(user)}); ` +
    'or run one salesflow command once as a user who may (e.g. salesflow history with the owner\'s DATABASE_URL), and give this user SELECT, INSERT, UPDATE, DELETE on the tables it creates');
}

/** A user with no rights on salesflow's tables at all: which grants give them. */
async function readRefused(client: pg.PoolClient, name: string, err: unknown): Promise<DataSourceError | null> {
  if (String((err as { code?: unknown }).code ?? '') !== '42501') return null;
  const who = await client.query<{ u: string; s: string | null }>('SELECT current_user AS u, current_schema() AS s').then((r) => r.rows[0], () => null);
  const user = `"${(who?.u ?? 'USER').replace(/"/g, '""')}"`;
  const schema = `"${(who?.s ?? 'public').replace(/"/g, '""')}"`;
  return new DataSourceError(`cannot use PostgreSQL data source ${name}: ${(err as Error).message}: user ${user} may not read salesflow's tables. ` +
    `Reading commands (status, history, simulate, payouts export) need GRANT USAGE ON SCHEMA ${schema} TO ${user} and GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${user}; the others also INSERT, UPDATE, DELETE`);
}

export async function migratePostgres(pool: pg.Pool, name: string, list: Migration[]): Promise<void> {
  const latest = latestOf(list);
  const client = await pool.connect();
  // The version found before migrating, once known: a refusal after it is a migration's.
  let seen: number | null = null;
  try {
    await migratePostgresOn(client, name, list, latest, (v) => { seen = v; });
  } catch (err) {
    const from = seen;
    const refused = from === null ? await readRefused(client, name, err) : await migrationRefused(client, name, list.filter((m) => m.version > from).length, err);
    throw refused ?? err;
  } finally {
    client.release();
  }
}

async function migratePostgresOn(client: pg.PoolClient, name: string, list: Migration[], latest: number, saw: (version: number) => void): Promise<void> {
  // Up to date (every start but the first after an upgrade): one look, no lock and no
  // transaction per migration, which a remote database would pay in round trips on every command.
  const seen = await currentPostgresVersion(client);
  saw(seen);
  if (seen > latest) throw newerError(name, seen, latest);
  if (seen === latest) return;
  for (const m of sorted(list)) {
    await client.query('BEGIN');
    try {
      // A statement_timeout set on the role is meant for queries, not for a migration (a
      // backfill of a large table) or for waiting on another process's migration below.
      await client.query('SET LOCAL statement_timeout = 0');
      // Held to COMMIT: a second process waits here, then sees the new version and skips.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      const current = await currentPostgresVersion(client);
      if (current > latest) throw newerError(name, current, latest);
      if (m.version > current) {
        await client.query(forDialect(createVersionTable, 'postgres'));
        await client.query(forDialect(m.sql, 'postgres'));
        await m.backfill?.postgres(client);
        await client.query('INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)',
          [m.version, m.description, new Date().toISOString()]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
