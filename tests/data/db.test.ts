import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataSourceError, latestVersion, openDatabase, schemaVersion } from '../../src/data/db.js';
import { migrations } from '../../src/data/migrations.js';
import { recordPayout, exportLedger } from '../../src/data/ledger.js';
import { tempDir } from './tmp.js';

describe('openDatabase', () => {
  it('creates the folder and file, applies every migration and records them', () => {
    const path = join(tempDir(), 'nested', 'var', 'salesflow.db');
    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(latestVersion());
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('upgrades a file made by an older salesflow in place, keeping its data', () => {
    const path = join(tempDir(), 'old.db');
    const old = openDatabase(path, { migrations: migrations.filter((m) => m.version === 1) });
    old.prepare(`INSERT INTO ledger (rule_id, rule_name, rule_version, rep, period, currency, amount, approved_by, approved_at, workflow_id)
      VALUES ('r', 'R', 'v1', 'r1', '2026-Q1', 'USD', '10.00', 'm@x.example', '2026-04-02T10:00:00Z', 'payout:r:r1:2026-Q1')`).run();
    expect(schemaVersion(old)).toBe(1);
    old.close();

    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(latestVersion());
    expect(latestVersion()).toBeGreaterThan(1);
    const columns = db.prepare("SELECT name FROM pragma_table_info('ledger')").pluck().all();
    expect(columns).toContain('amount_micros');
    expect(exportLedger(db, '2026-Q1').map((e) => e.amount)).toEqual(['10.00']);
    db.close();
  });

  it('a read-only open of an older file migrates it first', () => {
    const path = join(tempDir(), 'old.db');
    openDatabase(path, { migrations: migrations.filter((m) => m.version === 1) }).close();
    const db = openDatabase(path, { readonly: true });
    expect(schemaVersion(db)).toBe(latestVersion());
    expect(() => db.prepare("INSERT INTO suppressions VALUES ('a@b.example', 'x', 'now')").run()).toThrow(/readonly/);
    db.close();
  });

  it('refuses a file that is not a database, or newer than this salesflow, with a clear error', () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just some text that is long enough to matter....');
    expect(() => openDatabase(junk)).toThrow(DataSourceError);
    const newer = join(dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openDatabase(newer)).toThrow(/newer than this salesflow/);
    expect(() => openDatabase(join(dir, 'missing.db'), { readonly: true })).toThrow(/salesflow import/);
  });

  it('records a payout once per rule, version, rep and period', () => {
    const db = openDatabase(join(tempDir(), 'l.db'));
    const payout = {
      ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r1', period: '2026-Q1', currency: 'USD', amount: '15500.00',
      approvedBy: 'grace@acme.example', approvedAt: '2026-04-02T10:00:00Z', workflowId: 'payout:ae:r1:2026-Q1',
    };
    expect(recordPayout(db, payout)).toBe(true);
    expect(recordPayout(db, { ...payout, amount: '99.00' })).toBe(false);
    expect(exportLedger(db, '2026-Q1').map((e) => e.amount)).toEqual(['15500.00']);
    expect(db.prepare('SELECT amount_micros FROM ledger').pluck().get()).toBe(15500000000);
    db.close();
  });
});
