// Where a PostgreSQL password comes from, against a real cluster that asks one role for it (SCRAM,
// as PostgreSQL 14 and later do by default): a DATABASE_URL without one says where to put it,
// instead of node-postgres' "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string";
// a password file is read as psql reads it (`?passfile=`, PGPASSFILE, ~/.pgpass), without the
// DeprecationWarning node-postgres printed for it. The password-file cases run the built CLI
// (`npm run build` first) in a child process, where node prints its warnings.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { salesflow as builtSalesflow, workspace } from '../conformance/cli.js';
import { salesflow } from './cli.js';

const ROLE = 'pw_user';
const PASSWORD = 'p@ss:w/rd#%1 &?x';

describe.skipIf(postgresUnavailable !== null)(`PostgreSQL passwords${postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : ''}`, () => {
  let cluster: TestPostgres;
  let database: string;
  // The commands run in this process: no password from the environment of whoever runs the tests.
  const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };

  beforeAll(async () => {
    cluster = await startPostgres(['authentication_timeout=600']);
    delete process.env.PGPASSWORD;
    process.env.PGPASSFILE = join(cluster.socketDir, 'no-password-file');
    // The test cluster trusts every local connection; this role must give its password, by TCP and by socket.
    const hba = join(cluster.socketDir, 'data', 'pg_hba.conf');
    writeFileSync(hba, `host all ${ROLE} 127.0.0.1/32 scram-sha-256\nlocal all ${ROLE} scram-sha-256\n${readFileSync(hba, 'utf8')}`);
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`);
      await admin.query(`CREATE DATABASE pw OWNER ${ROLE}`);
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    database = `127.0.0.1:${cluster.port}/pw`;
  }, 120_000);

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    cluster?.stop();
  });

  it('the password percent-encoded in DATABASE_URL connects', async () => {
    const run = await salesflow(['history'], `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@${database}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('no password anywhere: one line saying the server asks for it and where to give it', async () => {
    const run = await salesflow(['history'], `postgres://${ROLE}@${database}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`salesflow: cannot use PostgreSQL data source postgres://${ROLE}@${database}: the server at 127.0.0.1:${cluster.port} ` +
      `asks for the password of user "${ROLE}", and none is given: write it in DATABASE_URL (postgres://${ROLE}:PASSWORD@…, percent-encoded), ` +
      'or set PGPASSWORD, or give it in a password file (a host:port:database:user:password line in ~/.pgpass, or the file named by PGPASSFILE or ?passfile=, readable by its owner only)\n');
    expect(run.stderr).not.toContain('SASL');
  });

  // node-postgres kept the socket open after refusing the password request, so the server waited
  // for an answer until its authentication_timeout (raised here to 600 s so a hang is unmistakable)
  // and the command, its message printed, did not exit until then (60 s on a default server).
  it('no password: the built command exits 1 at once, not when the server gives up on the handshake', () => {
    const run = builtSalesflow(workspace(), ['history'], { DATABASE_URL: `postgres://${ROLE}@${database}`, PGPASSFILE: join(cluster.socketDir, 'no-password-file'), PGPASSWORD: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('asks for the password of user "pw_user", and none is given');
  });

  const noPassword = 'asks for the password of user "pw_user", and none is given';

  function passwordFile(lines: string[], mode = 0o600): string {
    const file = join(workspace(), 'pgpass');
    writeFileSync(file, `${lines.join('\n')}\n`);
    chmodSync(file, mode);
    return file;
  }

  it('a password file named by PGPASSFILE or ?passfile= is read as psql reads it, with no warning from node', () => {
    const escaped = PASSWORD.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    const file = passwordFile([
      '# salesflow',
      `127.0.0.1:${cluster.port}:other:${ROLE}:wrong`,
      `127.0.0.1:*:pw:${ROLE}:${escaped}`,
      `*:*:*:*:wrong`,
    ]);
    const url = `postgres://${ROLE}@${database}`;
    for (const [how, env] of [
      ['PGPASSFILE', { DATABASE_URL: url, PGPASSFILE: file, PGPASSWORD: undefined }],
      ['?passfile=', { DATABASE_URL: `${url}?passfile=${encodeURIComponent(file)}`, PGPASSFILE: undefined, PGPASSWORD: undefined, HOME: cluster.socketDir }],
    ] as const) {
      const run = builtSalesflow(workspace(), ['history'], env);
      expect(run.stderr, how).toBe('');
      expect(run.code, how).toBe(0);
    }
  });

  it('a password file others may read is not read, as psql does not, and the message says why', () => {
    const file = passwordFile([`*:*:*:${ROLE}:${PASSWORD.replace(/:/g, '\\:')}`], 0o644);
    const run = builtSalesflow(workspace(), ['history'], { DATABASE_URL: `postgres://${ROLE}@${database}`, PGPASSFILE: file, PGPASSWORD: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`salesflow: password file ${file} has group or world access and is not read (as psql does not); chmod 600 ${file}\n`);
    expect(run.stderr).toContain(noPassword);
    expect(run.stderr).not.toContain('DeprecationWarning');
  });
});
