// `salesflow import --source` with deals the CRM gives no amount (HubSpot creates deals before
// anyone knows one): by default an open or lost deal is stored with amount 0 and the import says
// how many; a won deal is refused at its line, naming deal.missing_amount; the mapping decides
// otherwise (zero, skip, error per stage).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';

const header = '"Record ID","Deal Name","Deal Stage","Close Date","Deal owner","Amount","Currency"';

/** A data source with one rep, and a folder holding `deals.csv` (and a mapping, when given). */
async function setUp(rows: string[], mapping?: string): Promise<{ db: string; dir: string }> {
  const dir = tempDir();
  const db = join(dir, 'salesflow.db');
  const source = await openDatabase(db);
  await upsertRep(source, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await source.close();
  writeFileSync(join(dir, 'deals.csv'), [header, ...rows].join('\n') + '\n');
  if (mapping !== undefined) {
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'hubspot.yaml'), mapping);
  }
  return { db, dir };
}

describe('import --source: deals without an amount', () => {
  it('stores open and lost deals without an amount at 0 and says how many; the amounts given stay exact', async () => {
    const { db, dir } = await setUp([
      '"7001","Early lead","Appointment Scheduled","","Ada Byron","",""',
      '"7002","Went elsewhere","Closed Lost","2026-03-02","Ada Byron","  ",""',
      '"7003","Globex","Closed Won","2026-03-03","Ada Byron","48000.125","USD"',
    ]);
    const run = await salesflow(['import', '--source', 'hubspot', 'deals.csv'], db, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('deals.csv: hubspot deals 3 inserted, 0 updated, 0 unchanged\n');
    expect(run.stderr).toBe('warning: 2 deals have no Amount: stored with amount 0 until the CRM gives one (1 open, 1 lost; ' +
      'deal.missing_amount in rules/crm/hubspot.yaml, with preset: hubspot)\n');
    const source = await openDatabase(db);
    expect(await getDeal(source, '7001')).toMatchObject({ amount: '0', currency: 'USD', stage: 'open' });
    expect(await getDeal(source, '7002')).toMatchObject({ amount: '0', stage: 'lost' });
    expect(await getDeal(source, '7003')).toMatchObject({ amount: '48000.125', stage: 'won' });
    await source.close();
  });

  it('refuses a won deal without an amount at its line, naming the setting, and imports nothing', async () => {
    const { db, dir } = await setUp([
      '"7101","Early lead","Appointment Scheduled","","Ada Byron","",""',
      '"7102","Globex","Closed Won","2026-03-03","Ada Byron","",""',
    ]);
    const run = await salesflow(['import', '--source', 'hubspot', 'deals.csv'], db, dir);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'deals.csv:3: Amount: no amount: a won deal without an amount would pay no commission and count no revenue. Enter the amount in the CRM, ' +
        'or set deal.missing_amount: { won: zero } (store it with amount 0) or { won: skip } (leave it out) in rules/crm/hubspot.yaml, with preset: hubspot',
      'deals.csv: 1 problem; nothing imported',
    ]);
    const source = await openDatabase(db);
    expect(await getDeal(source, '7101')).toBeNull();
    await source.close();
  });

  it('a won deal whose Amount is emptied in the CRM is refused too: its stored amount is not kept silently', async () => {
    const { db, dir } = await setUp(['"7151","Globex","Closed Won","2026-03-03","Ada Byron","",""']);
    const source = await openDatabase(db);
    await upsertDeal(source, { id: '7151', rep: 'r-ada', name: 'Globex', amount: '9000', currency: 'USD', stage: 'won', product: null, type: null, source: null, closed_at: '2026-03-03', contact: null });
    await source.close();
    const run = await salesflow(['import', '--source', 'hubspot', 'deals.csv'], db, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deals.csv:2: Amount: no amount: a won deal');
    const after = await openDatabase(db);
    expect((await getDeal(after, '7151'))?.amount).toBe('9000');
    await after.close();
  });

  it('follows the mapping: won deals without an amount left out (lines listed), open ones refused', async () => {
    const mapping = 'preset: hubspot\ndeal:\n  missing_amount: { won: skip, open: error }\n';
    const skipping = await setUp([
      '"7201","Globex","Closed Won","2026-03-03","Ada Byron","",""',
      '"7202","Initech","Closed Won","2026-03-04","Ada Byron","1200.50","EUR"',
      '"7203","Lost one","Closed Lost","2026-03-05","Ada Byron","",""',
    ], mapping);
    const run = await salesflow(['import', '--source', 'hubspot', '--rules', 'rules', 'deals.csv'], skipping.db, skipping.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('deals.csv: hubspot deals 2 inserted, 0 updated, 0 unchanged\n');
    expect(run.stderr).toBe(
      'warning: 1 deal has no Amount: stored with amount 0 until the CRM gives one (1 lost; deal.missing_amount in rules/crm/hubspot.yaml)\n' +
      'warning: 1 deal has no Amount and was left out, line 2 (1 won; deal.missing_amount in rules/crm/hubspot.yaml)\n');
    const source = await openDatabase(skipping.db);
    expect(await getDeal(source, '7201')).toBeNull();
    expect(await getDeal(source, '7202')).toMatchObject({ amount: '1200.50', currency: 'EUR' });
    await source.close();

    const refusing = await setUp(['"7301","Early lead","Appointment Scheduled","","Ada Byron","",""'], mapping);
    const refused = await salesflow(['import', '--source', 'hubspot', '--rules', 'rules', 'deals.csv'], refusing.db, refusing.dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('deals.csv:2: Amount: no amount: open deals without an amount are refused by this mapping. Enter the amount in the CRM, ' +
      'or set deal.missing_amount: { open: zero } (store it with amount 0) or { open: skip } (leave it out) in rules/crm/hubspot.yaml');
  });

  it('stores every stage at 0 with `missing_amount: zero`', async () => {
    const { db, dir } = await setUp(['"7401","Globex","Closed Won","2026-03-03","Ada Byron","",""'], 'preset: hubspot\ndeal:\n  missing_amount: zero\n');
    const run = await salesflow(['import', '--source', 'hubspot', '--rules', 'rules', 'deals.csv'], db, dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: 1 deal has no Amount: stored with amount 0 until the CRM gives one (1 won;');
    const source = await openDatabase(db);
    expect(await getDeal(source, '7401')).toMatchObject({ amount: '0', stage: 'won' });
    await source.close();
  });
});
