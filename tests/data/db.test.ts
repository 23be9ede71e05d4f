import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { column, DataSourceError, latestVersion, openDatabase, scalar, schemaVersion, sql } from '../../src/data/db.js';
import { migrations } from '../../src/data/migrations.js';
import { recordPayout, exportLedger } from '../../src/data/ledger.js';
import { tempDir } from './tmp.js';

describe('openDatabase', () => {
  it('creates the folder and file, applies every migration and records them', async () => {
    const path = join(tempDir(), 'nested', 'var', 'salesflow.db');
    const db = await openDatabase(path);
    expect(await schemaVersion(db)).toBe(latestVersion());
    const versions = await column(db, sql`SELECT version FROM schema_version ORDER BY version`);
    expect(versions).toEqual(migrations.map((m) => m.version));
    expect(db.sqlite!.pragma('journal_mode', { simple: true })).toBe('wal');
    await db.close();
  });

  it('upgrades a file made by an older salesflow in place, keeping its data', async () => {
    const path = join(tempDir(), 'old.db');
    const old = await openDatabase(path, { migrations: migrations.filter((m) => m.version === 1) });
    await sql`INSERT INTO ledger (rule_id, rule_name, rule_version, rep, period, currency, amount, approved_by, approved_at, workflow_id)
      VALUES ('r', 'R', 'v1', 'r1', '2026-Q1', 'USD', '10.00', 'm@x.example', '2026-04-02T10:00:00Z', 'payout:r:r1:2026-Q1')`.execute(old.kysely);
    expect(await schemaVersion(old)).toBe(1);
    await old.close();

    const db = await openDatabase(path);
    expect(await schemaVersion(db)).toBe(latestVersion());
    expect(latestVersion()).toBeGreaterThan(1);
    const columns = await column(db, sql`SELECT name FROM pragma_table_info('ledger')`);
    expect(columns).toContain('amount_micros');
    expect((await exportLedger(db, '2026-Q1')).map((e) => e.amount)).toEqual(['10.00']);
    await db.close();
  });

  it('a read-only open of an older file migrates it first', async () => {
    const path = join(tempDir(), 'old.db');
    await (await openDatabase(path, { migrations: migrations.filter((m) => m.version === 1) })).close();
    const db = await openDatabase(path, { readonly: true });
    expect(await schemaVersion(db)).toBe(latestVersion());
    await expect(sql`INSERT INTO suppressions VALUES ('a@b.example', 'x', 'now')`.execute(db.kysely)).rejects.toThrow(/readonly/);
    await db.close();
  });

  it('refuses a file that is not a database, or newer than this salesflow, with a clear error', async () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just some text that is long enough to matter....');
    await expect(openDatabase(junk)).rejects.toThrow(DataSourceError);
    const newer = join(dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    await expect(openDatabase(newer)).rejects.toThrow(/newer than this salesflow/);
    await expect(openDatabase(join(dir, 'missing.db'), { readonly: true })).rejects.toThrow(/salesflow import/);
  });

  it('refuses a folder, or a path through a file, with what to write instead (no stack trace)', async () => {
    const dir = tempDir();
    await expect(openDatabase(dir)).rejects.toThrow(new DataSourceError(`cannot open data source ${dir}: it is a folder; DATABASE_URL names the database file, e.g. ${dir}/salesflow.db`));
    const file = join(dir, 'reps.csv');
    writeFileSync(file, 'id,name,email\n');
    await expect(openDatabase(join(file, 'salesflow.db'))).rejects.toThrow(new DataSourceError(`cannot create the folder ${file} for data source ${join(file, 'salesflow.db')}: a part of the path is a file`));
  });

  it('records a payout once per rule, version, rep and period', async () => {
    const db = await openDatabase(join(tempDir(), 'l.db'));
    const payout = {
      ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r1', period: '2026-Q1', currency: 'USD', amount: '15500.00',
      approvedBy: 'grace@acme.example', approvedAt: '2026-04-02T10:00:00Z', workflowId: 'payout:ae:r1:2026-Q1',
    };
    expect(await recordPayout(db, payout)).toBe(true);
    expect(await recordPayout(db, { ...payout, amount: '99.00' })).toBe(false);
    expect((await exportLedger(db, '2026-Q1')).map((e) => e.amount)).toEqual(['15500.00']);
    expect(await scalar(db, sql`SELECT amount_micros FROM ledger`)).toBe(15500000000);
    await db.close();
  });
});
