// DATABASE_URL's libpq parameters against a real PostgreSQL that only speaks TLS with a self-signed
// certificate, as managed databases hand them out: `?sslmode=require` connects encrypted without
// verifying the certificate (as psql does), `verify-full` refuses the unverifiable certificate with
// a clear error, and no node-postgres security warning is printed on every command.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, scalar, sql } from '../../src/data/db.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { salesflow } from './cli.js';

const openssl = spawnSync('openssl', ['version']).status === 0 ? null : 'no openssl to make the test certificate';
const why = postgresUnavailable ?? openssl;

describe.skipIf(why !== null)(`PostgreSQL over TLS${why ? ` (skipped: ${why})` : ''}`, () => {
  let cluster: TestPostgres;
  let certs: string;
  let base: string;
  const warnings: string[] = [];
  const onWarning = (w: Error) => { warnings.push(w.message); };

  beforeAll(async () => {
    certs = mkdtempSync(join(tmpdir(), 'salesflow-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=db.internal',
      '-keyout', join(certs, 'server.key'), '-out', join(certs, 'server.crt')], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
    // Database "sslonly" takes only encrypted connections (a `hostssl`-only server, as some DBAs run).
    writeFileSync(join(certs, 'pg_hba.conf'), 'local all all trust\nhostnossl sslonly all 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n');
    if (userInfo().uid === 0) {
      // The server runs as the postgres user and reads its key only when that user owns it.
      const [, , uid, gid] = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))!.split(':');
      for (const path of [certs, join(certs, 'server.key'), join(certs, 'server.crt'), join(certs, 'pg_hba.conf')]) chownSync(path, Number(uid), Number(gid));
    }
    cluster = await startPostgres(['ssl=on', `ssl_cert_file=${join(certs, 'server.crt')}`, `ssl_key_file=${join(certs, 'server.key')}`, `hba_file=${join(certs, 'pg_hba.conf')}`]);
    base = await cluster.createDatabase('tls');
    process.on('warning', onWarning);
  }, 120_000);

  afterAll(() => {
    process.off('warning', onWarning);
    cluster?.stop();
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  it('sslmode=require connects encrypted to a self-signed server, as psql does, without a warning', async () => {
    const db = await openDatabase(`${base}?sslmode=require`);
    try {
      expect(await scalar(db, sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).toBe(true);
    } finally {
      await db.close();
    }
    const run = await salesflow(['history'], `${base}?sslmode=require&application_name=salesflow-test`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/no plan has been applied/);
    expect(warnings.filter((w) => /SECURITY WARNING/.test(w))).toEqual([]);
  });

  it('sslmode=verify-full refuses a certificate it cannot verify, naming the data source and why', async () => {
    const run = await salesflow(['history'], `${base}?sslmode=verify-full`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot use PostgreSQL data source postgres:\/\/postgres@127\.0\.0\.1:\d+\/tls\?sslmode=verify-full: .*certificate/i);
    // Was "self-signed certificate" and nothing more: what to give, or what to change.
    expect(run.stderr).toContain(`the server's certificate at 127.0.0.1:${cluster.port} is not signed by a CA this machine trusts (self-signed certificate), ` +
      'and DATABASE_URL asks to verify it (sslmode=verify-full): give the CA certificate that signed it with sslrootcert=PATH in DATABASE_URL');
  });

  // Were node's words alone: "Hostname/IP does not match certificate's altnames: …" and
  // "ENOENT: no such file or directory, open '…'" without the parameter that named the file.
  it('verify-full with the CA given but another host name, and an sslrootcert that is not there, say what to change', async () => {
    const wrongName = await salesflow(['history'], `${base}?sslmode=verify-full&sslrootcert=${join(certs, 'server.crt')}`);
    expect(wrongName.code).toBe(1);
    expect(wrongName.stderr).toContain(`the server's certificate at 127.0.0.1:${cluster.port} is not for the host name in DATABASE_URL (Hostname/IP does not match certificate's altnames`);
    expect(wrongName.stderr).toContain('connect by a name the certificate carries, or use sslmode=verify-ca to verify the CA without the name');
    const verifiedCa = await salesflow(['history'], `${base}?sslmode=verify-ca&sslrootcert=${join(certs, 'server.crt')}`);
    expect(verifiedCa.stderr).toBe('');
    expect(verifiedCa.code).toBe(0);
    const missing = await salesflow(['history'], `${base}?sslmode=require&sslrootcert=${join(certs, 'nope.crt')}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`the file sslrootcert=${join(certs, 'nope.crt')} in DATABASE_URL cannot be read (ENOENT`);
  });

  it('sslmode=prefer (libpq\'s default) takes SSL where the server offers it', async () => {
    const db = await openDatabase(`${base}?sslmode=prefer`);
    try {
      expect(await scalar(db, sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('sslmode=allow (plain first, as libpq) takes SSL from a server that accepts only SSL', async () => {
    const sslOnly = await cluster.createDatabase('sslonly');
    const plain = await salesflow(['history'], `${sslOnly}?sslmode=disable`);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/no encryption/);
    const db = await openDatabase(`${sslOnly}?sslmode=allow`);
    try {
      expect(await scalar(db, sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('without sslmode, or with sslmode=disable, the connection is plain', async () => {
    for (const url of [base, `${base}?sslmode=disable`]) {
      const db = await openDatabase(url);
      try {
        expect(await scalar(db, sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).toBe(false);
      } finally {
        await db.close();
      }
    }
  });
});
