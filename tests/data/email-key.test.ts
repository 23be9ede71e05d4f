// Addresses that differ only in case (non-ASCII letters too) or in Unicode composition are one
// person on every data source: SQLite, PostgreSQL under the "C" locale, and PostgreSQL under a UTF-8
// locale (where lower() folded the lookup value but not the "C"-collated column, so even the very
// same spelling of `ÉLISE@ACME.FR` found nobody). Stores written by the upserts (events), by CSV
// import (SQLite's prepared statement, PostgreSQL's COPY), and rows from before the key existed
// (the migration's backfill).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { expect, it } from 'vitest';
import { repIdForOwner } from '../../src/data/crm.js';
import { countOf, openDatabase, sql, type Db } from '../../src/data/db.js';
import { dealsByContact, upsertDeal } from '../../src/data/deals.js';
import { importCsv } from '../../src/data/import.js';
import { getLeadByEmail, getLeadsByEmail, upsertLead } from '../../src/data/leads.js';
import { migrations } from '../../src/data/migrations.js';
import { getRepByEmail, upsertRep } from '../../src/data/reps.js';
import { isSuppressed, suppress } from '../../src/data/suppressions.js';
import { resolveRecipient } from '../../src/activities/subjects.js';
import type { RepRecord } from '../../src/plan/records.js';
import { forEachDialect } from '../support/dialects.js';

const rep = (id: string, name: string, email: string, manager: string | null, timezone: string | null): RepRecord =>
  ({ id, name, email, team: null, role: 'AE', region: null, manager, timezone, start_date: null, end_date: null });

const child = fileURLToPath(new URL('../support/race-child.mjs', import.meta.url));

/** `count` processes (tests/support/race-child.mjs, on the built package) opening `target` at one instant. */
async function openTogether(target: string, count: number): Promise<unknown[]> {
  const startAt = Date.now() + 1500;
  return Promise.all(Array.from({ length: count }, (_, who) => new Promise<unknown>((resolve, reject) => {
    const p = spawn(process.execPath, [child, target, 'migrate', String(startAt), String(who)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`process ${who} exited ${code}: ${err}`))));
  })));
}

/** `élise` with the accent as a combining character (NFD), as macOS input and some exports spell it. */
const decomposed = 'e\u0301lise@acme.fr';

forEachDialect('addresses compared by one key', (target) => {
  const sources: [string, () => Promise<string>][] = [['', () => target.fresh()]];
  if (target.dialect === 'postgres') {
    let n = 0;
    sources.push([' (database with a UTF-8 locale)', async () => {
      const cluster = target.cluster()!;
      const name = `utf8_${++n}`;
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    }]);
  }

  for (const [where, fresh] of sources) {
    it(`finds a rep, its manager, a lead and a deal contact by any case of the address${where}`, async () => {
      const db = await openDatabase(await fresh());
      await upsertRep(db, rep('r1', 'Ada', 'ada@acme.fr', 'ÉLISE@ACME.FR', null));
      await upsertRep(db, rep('r2', 'Élise Roux', 'Élise@Acme.fr', null, 'Europe/Paris'));
      await upsertLead(db, { id: 'L1', name: 'Örjan', email: 'ÖRJAN@Globex.se', company: null, source: null, stage: null, owner: 'r1', timezone: 'Europe/Stockholm', score: null });
      await upsertDeal(db, { id: 'D1', rep: 'r1', name: null, amount: '10.00', currency: 'EUR', stage: 'open', product: null, type: null, source: null, closed_at: null, contact: 'örjan@globex.se' });

      for (const spelling of ['élise@acme.fr', 'ÉLISE@ACME.FR', 'Élise@Acme.fr', ` ${decomposed} `]) {
        expect((await getRepByEmail(db, spelling))?.id, spelling).toBe('r2');
        expect(await repIdForOwner(db, spelling), spelling).toBe('r2');
      }
      // rep.manager resolves to the manager rep: the email goes out in her zone, with her name.
      const manager = await resolveRecipient(db, { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, { rep: rep('r1', 'Ada', 'ada@acme.fr', 'ÉLISE@ACME.FR', null) });
      expect(manager).toEqual({ ok: true, recipient: { email: 'ÉLISE@ACME.FR', timezone: 'Europe/Paris', name: 'Élise Roux' } });

      for (const spelling of ['örjan@globex.se', 'ÖRJAN@GLOBEX.SE', 'Örjan@globex.se']) {
        expect((await getLeadsByEmail(db, spelling)).map((l) => l.id), spelling).toEqual(['L1']);
        expect((await getLeadByEmail(db, spelling))?.timezone, spelling).toBe('Europe/Stockholm');
        expect((await dealsByContact(db, spelling)).map((d) => d.id), spelling).toEqual(['D1']);
      }
      // A changed address moves its key with it; an update that leaves the address out keeps both.
      await upsertLead(db, { id: 'L1', name: 'Örjan', email: 'Örjan.Berg@Globex.se', company: null, source: null, stage: null, owner: 'r1', timezone: 'Europe/Stockholm', score: null });
      expect(await getLeadsByEmail(db, 'örjan@globex.se')).toEqual([]);
      expect((await getLeadsByEmail(db, 'ÖRJAN.BERG@globex.se')).map((l) => l.id)).toEqual(['L1']);
      await upsertDeal(db, { id: 'D1', rep: 'r1', name: null, amount: '10.00', currency: 'EUR', stage: 'won', product: null, type: null, source: null, closed_at: '2026-03-01', contact: 'ignored@x.example' }, undefined, ['contact']);
      expect((await dealsByContact(db, 'ÖRJAN@globex.se')).map((d) => d.id)).toEqual(['D1']);
      await db.close();
    });

    it(`finds imported reps, leads and deal contacts by any case, and names a rep's address used as a rep id${where}`, async () => {
      const db = await openDatabase(await fresh());
      expect(await importCsv(db, 'reps', 'id,name,email,manager,timezone\nr1,Ada,ada@acme.fr,ÉLISE@ACME.FR,\nr2,Élise Roux,Élise@Acme.fr,,Europe/Paris\n', 'reps.csv'))
        .toMatchObject({ ok: true, inserted: 2 });
      expect(await importCsv(db, 'leads', 'id,name,email,owner\nL1,Örjan,ÖRJAN@Globex.se,r1\n', 'leads.csv')).toMatchObject({ ok: true, inserted: 1 });
      expect(await importCsv(db, 'deals', 'id,rep,amount,currency,stage,contact\nD1,r1,10.00,EUR,open,örjan@globex.se\n', 'deals.csv')).toMatchObject({ ok: true, inserted: 1 });
      expect((await getRepByEmail(db, 'élise@acme.fr'))?.id).toBe('r2');
      expect((await getLeadsByEmail(db, 'örjan@GLOBEX.se')).map((l) => l.id)).toEqual(['L1']);
      expect((await dealsByContact(db, 'ÖRJAN@globex.se')).map((d) => d.id)).toEqual(['D1']);
      // A deals file that credits a rep by (another spelling of) her address is refused, saying whose it is.
      const wrong = await importCsv(db, 'deals', 'id,rep,amount,currency,stage\nD2,élise@acme.fr,10.00,EUR,won\n', 'wrong.csv');
      expect(wrong).toMatchObject({ ok: false, problems: [{ file: 'wrong.csv', line: 2, field: 'rep', message: expect.stringContaining('the email of rep r2') }] });
      await db.close();
    });

    it(`an address unsubscribed in one spelling is suppressed in every other${where}`, async () => {
      const db = await openDatabase(await fresh());
      expect(await suppress(db, 'ÉLISE@Acme.fr', 'lead.unsubscribed')).toBe(true);
      expect(await isSuppressed(db, 'élise@acme.fr')).toBe(true);
      expect(await isSuppressed(db, decomposed)).toBe(true);
      expect(await suppress(db, decomposed, 'again')).toBe(false);
      expect(await isSuppressed(db, 'elise@acme.fr')).toBe(false);
      await db.close();
    });

    it(`keys the rows of a data source made before the key existed when it is upgraded${where}`, async () => {
      const url = await fresh();
      const old = await openDatabase(url, { migrations: migrations.filter((m) => m.version < 10) });
      const now = '2026-01-01T00:00:00Z';
      await sql`INSERT INTO reps (id, name, email, manager, updated_at) VALUES ('r2', 'Élise Roux', 'Élise@Acme.fr', NULL, ${now})`.execute(old.kysely);
      await sql`INSERT INTO leads (id, email, updated_at) VALUES ('L1', 'ÖRJAN@Globex.se', ${now})`.execute(old.kysely);
      await sql`INSERT INTO deals (id, rep, amount, amount_micros, currency, stage, contact, updated_at) VALUES ('D1', 'r2', '1', 1000000, 'EUR', 'open', 'Örjan@globex.se', ${now}), ('D2', 'r2', '1', 1000000, 'EUR', 'open', NULL, ${now})`.execute(old.kysely);
      // Stored lower-cased by the older salesflow, in both compositions of the same address.
      await sql`INSERT INTO suppressions (email, reason, created_at) VALUES (${decomposed}, 'old', ${now}), ('élise@acme.fr', 'older', '2025-01-01T00:00:00Z'), (${'jose\u0301@x.example'}, 'one', ${now})`.execute(old.kysely);
      await old.close();

      const db: Db = await openDatabase(url);
      expect((await getRepByEmail(db, 'ÉLISE@ACME.FR'))?.id).toBe('r2');
      expect((await getLeadsByEmail(db, 'örjan@globex.se')).map((l) => l.id)).toEqual(['L1']);
      expect((await dealsByContact(db, 'ÖRJAN@GLOBEX.SE')).map((d) => d.id)).toEqual(['D1']);
      expect(await isSuppressed(db, 'JOSÉ@x.example')).toBe(true);
      const rows = await db.kysely.selectFrom('suppressions').select(['email', 'reason']).orderBy('email').execute();
      expect(rows).toEqual([{ email: 'josé@x.example', reason: 'one' }, { email: 'élise@acme.fr', reason: 'older' }]);
      await db.close();
    });
  }

  it('four processes upgrading an older data source together key every row once (more rows than one batch)', async () => {
    const url = await target.fresh();
    const old = await openDatabase(url, { migrations: migrations.filter((m) => m.version < 10) });
    const rows = target.dialect === 'sqlite'
      ? sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
          INSERT INTO leads (id, email, updated_at) SELECT 'L' || i, 'ÖRJAN' || i || '@Globex.se', 'then' FROM n`
      : sql`INSERT INTO leads (id, email, updated_at) SELECT 'L' || i, 'ÖRJAN' || i || '@Globex.se', 'then' FROM generate_series(1, 12000) AS i`;
    await rows.execute(old.kysely);
    await old.close();
    expect(await openTogether(url, 4)).toEqual(['opened', 'opened', 'opened', 'opened']);
    const db = await openDatabase(url);
    expect(await countOf(db, sql`SELECT count(*) FROM schema_version WHERE version = 10`)).toBe(1);
    expect(await countOf(db, sql`SELECT count(*) FROM leads WHERE email_key IS NULL`)).toBe(0);
    for (const n of [1, 5000, 5001, 12000]) expect((await getLeadsByEmail(db, `örjan${n}@globex.se`)).map((l) => l.id)).toEqual([`L${n}`]);
    await db.close();
  });
});
