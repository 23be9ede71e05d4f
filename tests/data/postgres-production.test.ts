// A team pointing salesflow at its own PostgreSQL: the URL forms and roles a DBA hands out. Against
// a real throwaway cluster without SSL: `sslmode=prefer` (libpq's default) connects; a server
// that is down, a port that is not PostgreSQL or never answers, a user who may not CREATE, a
// read-only user writing, a statement_timeout on the role: each one line with what to do, exit 1,
// no stack trace. And a server whose TimeZone and DateStyle are not the defaults changes nothing.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { IMPORT_LOCK_KEY, openDatabase, scalar, sql } from '../../src/data/db.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { salesflow } from './cli.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

const reps = 'id,name,email,team,role\nr-1,Ada Lovelace,ada@acme.example,AE,AE\n';

function repsFile(): string {
  const file = join(tempDir(), 'reps.csv');
  writeFileSync(file, reps);
  return file;
}

describe.skipIf(postgresUnavailable !== null)(`PostgreSQL as a production team sets it up${postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : ''}`, () => {
  let cluster: TestPostgres;
  let admin: pg.Client;
  const servers: Server[] = [];
  const as = (role: string, database: string, query = '') => `postgres://${role}@127.0.0.1:${cluster.port}/${database}${query}`;

  beforeAll(async () => {
    cluster = await startPostgres();
    admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await admin?.end();
    for (const server of servers) server.close();
    cluster?.stop();
  });

  async function listen(onConnection: Parameters<typeof createServer>[1]): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('sslmode=prefer, as psql reads it, connects plain to a server without SSL; require says what to change', async () => {
    const url = await cluster.createDatabase('prefer');
    const db = await openDatabase(`${url}?sslmode=prefer`);
    try {
      expect(await scalar(db, sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).toBe(false);
    } finally {
      await db.close();
    }
    const required = await salesflow(['history'], `${url}?sslmode=require`);
    expect(required.code).toBe(1);
    expect(required.stderr).toMatch(/^salesflow: cannot use PostgreSQL data source .*: the server at 127\.0\.0\.1:\d+ does not support SSL, and DATABASE_URL asks for it \(sslmode=require\)/);
  });

  it('the Unix socket forms psql reads, with or without a user before the empty host', async () => {
    await cluster.createDatabase('socket');
    for (const url of [
      `postgres:///socket?host=${cluster.socketDir}&port=${cluster.port}&user=postgres`,
      `postgresql://postgres@/socket?host=${cluster.socketDir}&port=${cluster.port}&application_name=salesflow-cron`,
    ]) {
      const run = await salesflow(['history'], url);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const wrongFolder = await salesflow(['history'], `postgresql://postgres@/socket?host=${cluster.socketDir}/nope&port=${cluster.port}`);
    expect(wrongFolder.code).toBe(1);
    expect(wrongFolder.stderr).toMatch(/there is no socket .*\/nope\/\.s\.PGSQL\.\d+: is PostgreSQL running, with that socket folder and port\?/);
  });

  it('a server that is down, a port that is not PostgreSQL, a port that never answers: one line each', async () => {
    const closed = await listen(() => undefined);
    servers.pop()!.close();
    const down = await salesflow(['history'], `postgres://sf:secret@127.0.0.1:${closed}/sales`);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`salesflow: cannot use PostgreSQL data source postgres://sf:***@127.0.0.1:${closed}/sales: nothing accepts connections at 127.0.0.1:${closed}: is PostgreSQL running there, and on that port?\n`);

    const web = await listen((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const notPostgres = await salesflow(['history'], `postgres://sf:secret@127.0.0.1:${web}/sales`);
    expect(notPostgres.code).toBe(1);
    expect(notPostgres.stderr).toMatch(/closed the connection before PostgreSQL's handshake completed: is that PostgreSQL's port/);
    expect(notPostgres.stderr).not.toContain('secret');

    const silent = await listen(() => undefined);
    const started = Date.now();
    const hung = await salesflow(['history'], `postgres://sf:secret@127.0.0.1:${silent}/sales?connect_timeout=2`);
    expect(hung.code).toBe(1);
    expect(hung.stderr).toMatch(new RegExp(`no answer from 127\\.0\\.0\\.1:${silent} within 2 s \\(connect_timeout in DATABASE_URL; default 30\\)`));
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('a server whose TimeZone is America/New_York and DateStyle SQL, DMY gives the same statements as a UTC one', async () => {
    const demo = (file: string) => new URL(`../../rules/demo/${file}`, import.meta.url).pathname;
    const rules = new URL('../../rules/', import.meta.url).pathname;
    const statements = async (url: string) => {
      for (const kind of ['reps', 'deals', 'credits', 'rates']) {
        expect((await salesflow(['import', '--kind', kind, demo(`${kind}.csv`)], url)).code).toBe(0);
      }
      const run = await salesflow(['simulate', '--period', '2026-Q3', '--format', 'json', rules], url);
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout) as unknown[];
    };
    const utc = await statements(await cluster.createDatabase('utc'));
    const local = await cluster.createDatabase('newyork');
    await admin.query("ALTER DATABASE newyork SET timezone = 'America/New_York'; ALTER DATABASE newyork SET datestyle = 'SQL, DMY'; ALTER DATABASE newyork SET intervalstyle = 'sql_standard'");
    const there = await statements(local);
    expect(utc.length).toBeGreaterThan(0);
    expect(there).toEqual(utc);
  }, 60_000);

  // A legacy database with standard_conforming_strings off reads a backslash in a quoted literal as an
  // escape: a rule's `deal.product = "Core\\Plus"` matched nothing, and `"x\\"` ended its SQL
  // literal early, so the next literal's text was read as SQL.
  it('a database with standard_conforming_strings off reads a rule literal with backslashes as written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'reps.csv'), 'id,name,email,role\nr-1,Ada Lovelace,ada@acme.example,AE\n');
    writeFileSync(join(dir, 'deals.csv'), 'id,rep,amount,currency,stage,product,closed_at\n' +
      'D-1,r-1,1000.00,EUR,won,Core\\Plus,2026-07-01\nD-2,r-1,20.00,EUR,won,Other,2026-07-02\nD-3,r-1,300.00,EUR,won,x\\,2026-07-03\n');
    writeFileSync(join(dir, 'r.rules'), 'settings {\n  timezone "UTC"\n  currency EUR\n}\n' +
      'metric core_plus = sum(deal.amount) where deal.stage = "won" and deal.product = "Core\\\\Plus"\n' +
      'metric odd = sum(deal.amount) where deal.product in ["x\\\\", ") or 1 = 1 or (\'\'"]\n' +
      'incentive "core" {\n  for reps where rep.role = "AE"\n  period quarter\n  effective 2026-01-01 to 2026-12-31\n' +
      '  measure core_plus\n  target 1_000 EUR\n  commission marginal { above pay 10% }\n}\n' +
      'incentive "odd" {\n  for reps where rep.role = "AE"\n  period quarter\n  effective 2026-01-01 to 2026-12-31\n' +
      '  measure odd\n  target 1_000 EUR\n  commission marginal { above pay 10% }\n}\n');
    const url = await cluster.createDatabase('legacy_strings');
    await admin.query('ALTER DATABASE legacy_strings SET standard_conforming_strings = off');
    for (const kind of ['reps', 'deals']) expect((await salesflow(['import', '--kind', kind, join(dir, `${kind}.csv`)], url)).code).toBe(0);
    const run = await salesflow(['simulate', '--period', '2026-Q3', '--format', 'json', join(dir, 'r.rules')], url);
    expect(run.stderr).toBe('');
    const measures = Object.fromEntries((JSON.parse(run.stdout) as { rule: string; measure: string }[]).map((s) => [s.rule, s.measure]));
    expect(measures).toEqual({ core: '1000.00', odd: '300.00' });
  }, 60_000);

  it('a server with no connection left names max_connections and what salesflow opens', async () => {
    await cluster.createDatabase('full');
    await admin.query('CREATE ROLE crowd LOGIN CONNECTION LIMIT 1');
    const holder = new pg.Client({ connectionString: as('crowd', 'full') });
    await holder.connect();
    try {
      const run = await salesflow(['history'], as('crowd', 'full'));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^salesflow: cannot use PostgreSQL data source .*: too many connections for role "crowd": the server's max_connections is too low for the salesflow processes/);
    } finally {
      await holder.end();
    }
  });

  it('a user who may not CREATE is told which grant the migrations need; a search_path naming no schema says so', async () => {
    await cluster.createDatabase('locked');
    await admin.query('CREATE ROLE clerk LOGIN');
    // PostgreSQL 15 and later: only the database owner may create in public. Earlier: take it away.
    const locked = new pg.Client({ connectionString: cluster.url('locked') });
    await locked.connect();
    try {
      await locked.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    } finally {
      await locked.end();
    }
    const refused = await salesflow(['history'], as('clerk', 'locked'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs \d+ migrations .*PostgreSQL refused: permission denied for schema public\. User "clerk" needs to own the database or the schema, or CREATE on schema "public" \(GRANT CREATE ON SCHEMA "public" TO "clerk"\)/);
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    // A search_path naming a schema nobody created: said so, not "no schema has been selected".
    const noSchema = await salesflow(['history'], as('postgres', 'locked', '?options=-c%20search_path%3Dsalesflow'));
    expect(noSchema.code).toBe(1);
    expect(noSchema.stderr).toMatch(/The search_path \(salesflow\) names no schema that exists: create it, e\.g\. CREATE SCHEMA salesflow AUTHORIZATION "postgres"/);

    // Another application's table by one of salesflow's names: a schema of its own, not "relation already exists".
    const shared = new pg.Client({ connectionString: cluster.url('locked') });
    await shared.connect();
    try {
      await shared.query('CREATE TABLE events (id serial PRIMARY KEY, payload jsonb)');
      const clash = await salesflow(['history'], cluster.url('locked'));
      expect(clash.code).toBe(1);
      expect(clash.stderr).toMatch(/PostgreSQL refused: relation "events" already exists\. Schema "public" holds tables salesflow did not create; the migration was rolled back\. Give salesflow a database of its own, or a schema: CREATE SCHEMA salesflow, then add \?options=-c%20search_path%3Dsalesflow to DATABASE_URL/);
      const { rows } = await shared.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(rows[0].n).toBe(1);
    } finally {
      await shared.end();
    }
  });

  it('a read-only user reads (status, simulate) and is refused writes with a sentence, not a stack trace', async () => {
    const url = await cluster.createDatabase('ro');
    const file = repsFile();
    expect((await salesflow(['import', '--kind', 'reps', file], url)).code).toBe(0);
    await admin.query('CREATE ROLE reader LOGIN');
    const readerUrl = as('reader', 'ro');
    // Before any grant: which grants a reader needs.
    const ungranted = await salesflow(['history'], readerUrl);
    expect(ungranted.code).toBe(1);
    expect(ungranted.stderr).toMatch(/permission denied for table schema_version: user "reader" may not read salesflow's tables\. Reading commands \(status, history, simulate, payouts export\) need GRANT USAGE ON SCHEMA "public" TO "reader" and GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "reader"/);
    const grant = new pg.Client({ connectionString: url });
    await grant.connect();
    try {
      await grant.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader');
    } finally {
      await grant.end();
    }
    expect((await salesflow(['history'], readerUrl)).code).toBe(0);
    const write = await salesflow(['import', '--kind', 'reps', file], readerUrl);
    expect(write.code).toBe(1);
    expect(write.stderr).toBe('salesflow import: the PostgreSQL user in DATABASE_URL may not do this (permission denied for table reps); what this command had not committed was rolled back. ' +
      'status, history, simulate and payouts export only read (SELECT); import, apply, events, payouts run, worker and serve also write (INSERT, UPDATE, DELETE on salesflow\'s tables)\n');

    // A session that may only read (a replica, or default_transaction_read_only on the role): the same.
    await admin.query('CREATE ROLE replica_reader LOGIN; ALTER ROLE replica_reader SET default_transaction_read_only = on');
    const granted = new pg.Client({ connectionString: url });
    await granted.connect();
    try {
      await granted.query('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO replica_reader');
    } finally {
      await granted.end();
    }
    const readOnly = await salesflow(['import', '--kind', 'reps', file], as('replica_reader', 'ro'));
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/^salesflow import: the PostgreSQL connection only reads \(cannot execute .* in a read-only transaction\): DATABASE_URL points at a read replica, or default_transaction_read_only is on/);
    expect((await salesflow(['history'], as('replica_reader', 'ro'))).code).toBe(0);
  });

  it('a statement_timeout on the role: migrations still wait for another process, a cancelled import says why', async () => {
    await cluster.createDatabase('timed');
    await admin.query("CREATE ROLE hurried LOGIN; ALTER DATABASE timed OWNER TO hurried; ALTER ROLE hurried SET statement_timeout = '400ms'");
    // Another process holds the migration lock for longer than the role's timeout.
    const other = new pg.Client({ connectionString: cluster.url('timed') });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [0x73616c6573666c77n.toString()]);
      const opening = openDatabase(as('hurried', 'timed'));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await other.query('COMMIT');
      const db = await opening;
      await db.close();
    } finally {
      await other.end();
    }
    // Waiting for another import's turn is not cancelled by the role's timeout either.
    const importer = new pg.Client({ connectionString: cluster.url('timed') });
    await importer.connect();
    try {
      await importer.query('BEGIN');
      await importer.query('SELECT pg_advisory_xact_lock($1::bigint)', [IMPORT_LOCK_KEY]);
      const waiting = salesflow(['import', '--kind', 'reps', repsFile()], as('hurried', 'timed'));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await importer.query('COMMIT');
      const waited = await waiting;
      expect(waited.stderr).toBe('');
      expect(waited.code).toBe(0);
      await importer.query('DELETE FROM reps');
    } finally {
      await importer.end();
    }

    // A statement slower than the timeout (here: waiting on a lock a DBA's session holds): the
    // import is refused whole, with what to change.
    const dba = new pg.Client({ connectionString: cluster.url('timed') });
    await dba.connect();
    try {
      await dba.query('BEGIN');
      await dba.query('LOCK TABLE reps IN ACCESS EXCLUSIVE MODE');
      const run = await salesflow(['import', '--kind', 'reps', repsFile()], as('hurried', 'timed'));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^salesflow import: PostgreSQL cancelled a statement \(canceling statement due to statement timeout\); what this command had not committed was rolled back\. .*raise it for salesflow's user \(ALTER ROLE … SET statement_timeout/);
      await dba.query('ROLLBACK');
      const { rows } = await dba.query<{ n: number }>('SELECT count(*)::int AS n FROM reps');
      expect(rows[0].n).toBe(0);
    } finally {
      await dba.end();
    }
  }, 30_000);
});
