// A re-run of the same import says it changed nothing: `salesflow import` counts rows new, changed
// and unchanged (stored already as the file has them), for every kind, on both data sources; an
// unchanged row keeps its updated_at, and two imports of one file at once count each row once.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase, rows, sql } from '../../src/data/db.js';
import { forEachDialect } from '../support/dialects.js';
import { salesflow } from './cli.js';
import { tempDir } from './tmp.js';

const REPS = 'id,name,email,team,timezone\nr1,Ada,ada@acme.example,EMEA,Europe/Berlin\nr2,Bob,bob@acme.example,,\nr3,Cy,cy@acme.example,US,\n';
const DEALS = 'id,rep,name,amount,currency,stage,closed_at,contact\nD1,r1,"Acme, Inc",100.50,USD,won,2026-01-05,\nD2,r2,Beta,2000,EUR,open,,buyer@beta.example\nD3,r3,,7.25,USD,lost,2026-02-01,\n';
const LEADS = 'id,email,name,score\nL1,lee@x.example,Lee,10\nL2,kim@y.example,,\nL3,max@z.example,Max,\n';
const CREDITS = 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r2,40,revenue\nD1,r3,10,overlay\n';
const RATES = 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\nEUR,USD,1.12,2026-02-01\nGBP,USD,1.3,2026-01-01\n';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));

/** The built command in a process of its own, as a user (or a cron job) runs it; what it printed. */
function importProcess(url: string, kind: string, path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, 'import', '--kind', kind, path], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

forEachDialect('import counts unchanged rows', (target) => {
  const file = (text: string) => { const path = join(tempDir(), 'file.csv'); writeFileSync(path, text); return path; };
  const run = async (url: string, kind: string, text: string) => {
    const path = file(text);
    const result = await salesflow(['import', '--kind', kind, path], url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.slice(`${path}: ${kind} `.length).trimEnd();
  };

  it('all new, the same file again, one row changed, and a mix: for reps, deals, leads, credits and rates', async () => {
    const url = await target.fresh();
    const cases: [string, string, string, string][] = [
      // kind, first file, one row changed, a mix (one changed, one new, one as stored)
      ['reps', REPS, REPS.replace('Bob,', 'Bobby,'), 'id,name,email,team,timezone\nr1,Ada,ada@acme.example,EMEA,Europe/Paris\nr2,Bobby,bob@acme.example,,\nr4,Dee,dee@acme.example,,\n'],
      ['deals', DEALS, DEALS.replace('2000,EUR,open', '2000,EUR,lost'), 'id,rep,name,amount,currency,stage,closed_at,contact\nD1,r1,"Acme, Inc",100.50,USD,won,2026-01-05,\nD2,r2,Beta,2500,EUR,lost,,buyer@beta.example\nD4,r1,New,1,USD,open,,\n'],
      ['leads', LEADS, LEADS.replace('Lee,10', 'Lee,11'), 'id,email,name,score\nL1,lee@x.example,Lee,11\nL2,kim@y.example,Kim,\nL4,new@x.example,,\n'],
      // (a credits file names all of a deal's shares: D1's two revenue shares stay as stored)
      ['credits', CREDITS, CREDITS.replace('r3,10,', 'r3,15,'), 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r2,40,revenue\nD1,r3,20,overlay\nD2,r2,100,revenue\n'],
      ['rates', RATES, RATES.replace('1.12', '1.125'), 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\nEUR,USD,1.13,2026-02-01\nGBP,USD,1.3,2026-03-01\n'],
    ];
    for (const [kind, first, changed, mix] of cases) {
      expect(await run(url, kind, first), `${kind}: all new`).toBe('3 inserted, 0 updated, 0 unchanged');
      expect(await run(url, kind, first), `${kind}: the same file again`).toBe('0 inserted, 0 updated, 3 unchanged');
      expect(await run(url, kind, changed), `${kind}: one row changed`).toBe('0 inserted, 1 updated, 2 unchanged');
      expect(await run(url, kind, mix), `${kind}: a mix`).toBe(`1 inserted, 1 updated, ${kind === 'credits' ? 2 : 1} unchanged`);
    }
  });

  it('an unchanged row keeps its updated_at; a changed one gets the import\'s', async () => {
    const url = await target.fresh();
    await run(url, 'reps', REPS);
    await run(url, 'deals', DEALS);
    await run(url, 'credits', CREDITS);
    await run(url, 'rates', RATES);
    const db = await openDatabase(url);
    try {
      const stamps = async () => ({
        deals: await rows(db, sql<{ id: string; updated_at: string }>`SELECT id, updated_at FROM deals ORDER BY id`),
        credits: await rows(db, sql<{ rep: string; updated_at: string }>`SELECT rep, updated_at FROM credits ORDER BY rep`),
        rates: await rows(db, sql<{ from_date: string; updated_at: string }>`SELECT from_date, updated_at FROM rates ORDER BY currency, from_date`),
      });
      const before = await stamps();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await run(url, 'deals', DEALS.replace('7.25,USD,lost', '7.5,USD,lost'))).toBe('0 inserted, 1 updated, 2 unchanged');
      expect(await run(url, 'credits', CREDITS.replace('r3,10,', 'r3,15,'))).toBe('0 inserted, 1 updated, 2 unchanged');
      expect(await run(url, 'rates', RATES)).toBe('0 inserted, 0 updated, 3 unchanged');
      const after = await stamps();
      expect(after.deals.slice(0, 2)).toEqual(before.deals.slice(0, 2));
      expect(after.deals[2].updated_at > before.deals[2].updated_at).toBe(true);
      expect(after.credits.slice(0, 2)).toEqual(before.credits.slice(0, 2));
      expect(after.credits[2].updated_at > before.credits[2].updated_at).toBe(true);
      expect(after.rates).toEqual(before.rates);
    } finally {
      await db.close();
    }
  });

  it('a CRM export imported again (--source): every row unchanged, a rep keeping its CRM user id; two user ids swapped are two changes', async () => {
    const url = await target.fresh();
    const crm = async (text: string) => {
      const path = file(text);
      const result = await salesflow(['import', '--source', 'salesforce', path], url);
      expect(result.stderr).toBe('');
      return result.stdout.slice(`${path}: salesforce `.length).trimEnd();
    };
    const users = '"User ID","First Name","Last Name","Email","Role"\n"005A","Ada","Byron","ada@acme.example","AE"\n"005B","Dan","Brown","dan@acme.example","AE"\n';
    const opportunities = '"Opportunity ID","Opportunity Name","Amount","Stage","Close Date","Opportunity Owner","Opportunity Currency"\n'
      + '"006A","Globex platform","48,000.00","Closed Won","3/15/2026","005A","USD"\n"006B","Initech pilot","9,999.99","Prospecting","4/1/2026","Dan Brown","USD"\n';
    expect(await crm(users)).toBe('reps 2 inserted, 0 updated, 0 unchanged');
    expect(await crm(users)).toBe('reps 0 inserted, 0 updated, 2 unchanged');
    expect(await crm(opportunities)).toBe('deals 2 inserted, 0 updated, 0 unchanged');
    expect(await crm(opportunities)).toBe('deals 0 inserted, 0 updated, 2 unchanged');
    // The two users' ids swapped in the CRM: each rep takes the other's (unique per CRM) and both changed.
    const swapped = users.replace('"005A","Ada"', '"005Y","Ada"').replace('"005B","Dan"', '"005A","Dan"').replace('"005Y","Ada"', '"005B","Ada"');
    expect(await crm(swapped)).toBe('reps 0 inserted, 2 updated, 0 unchanged');
    expect(await crm(swapped)).toBe('reps 0 inserted, 0 updated, 2 unchanged');
    const db = await openDatabase(url);
    try {
      // CRM user ids are links per CRM (rep_crm_ids), not a column of the rep.
      expect(await rows(db, sql`SELECT rep_id AS id, crm_id FROM rep_crm_ids WHERE source = 'salesforce' ORDER BY rep_id`)).toEqual([{ id: '005A', crm_id: '005B' }, { id: '005B', crm_id: '005A' }]);
    } finally {
      await db.close();
    }
  });

  it('two processes importing one new file at once: one inserts every row, the other finds them all unchanged', async () => {
    const url = await target.fresh();
    await (await openDatabase(url)).close();
    const path = file(`id,rep,amount,currency,stage\n${Array.from({ length: 20_000 }, (_, i) => `d${i},r${i % 7},${i}.5,USD,open`).join('\n')}\n`);
    const runs = await Promise.all([importProcess(url, 'deals', path), importProcess(url, 'deals', path)]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs.map((r) => r.stdout).sort()).toEqual([
      `${path}: deals 0 inserted, 0 updated, 20000 unchanged\n`,
      `${path}: deals 20000 inserted, 0 updated, 0 unchanged\n`,
    ]);
  }, 60_000);
});
