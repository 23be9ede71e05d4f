// `salesflow import --source NAME FILE.csv`: the CRMs' own export headers through the mapping (the
// applied plan's, from any folder; `--rules PATH` tries a working copy's), owners found by CRM id,
// email or name, and a file with any bad row importing nothing.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRepCrmId, setRepCrmId } from '../../src/data/crm.js';
import { openDatabase } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { getRep, upsertRep } from '../../src/data/reps.js';
import { recordPlan } from '../../src/runtime/applied-plan.js';
import { loadPlan } from '../../src/runtime/session.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const exportFile = (name: string) => `exports/${name}`;

/** What `salesflow apply rules` in the fixture checkout records: its rules and CRM mappings (rules/crm). */
async function applyFixtureRules(path: string): Promise<void> {
  const previous = process.cwd();
  process.chdir(root);
  try {
    const plan = await loadPlan(['rules']);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.value.crm?.map((m) => m.name)).toEqual(['fxiaoke', 'hubspot']);
    const db = await openDatabase(path);
    await recordPlan(db, plan.value, ['rules']);
    await db.close();
  } finally {
    process.chdir(previous);
  }
}

async function withReps(path: string): Promise<void> {
  const db = await openDatabase(path);
  await upsertRep(db, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await upsertRep(db, { id: 'r-bob', name: 'Bob Stone', email: 'bob@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await db.close();
}

describe('salesflow import --source', () => {
  it('reads a HubSpot deals export as it comes, through the team\'s applied mapping, from a folder without the rules', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    await applyFixtureRules(path);
    const file = join(root, exportFile('hubspot-deals.csv'));
    const run = await salesflow(['import', '--source', 'hubspot', file], path, tempDir());
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${file}: hubspot deals 3 inserted, 0 updated, 0 unchanged\n`);
    expect(run.code).toBe(0);
    const db = await openDatabase(path);
    expect(await getDeal(db, '9101')).toEqual({
      id: '9101', rep: 'r-ada', name: 'Globex platform', amount: '48000', currency: 'USD', stage: 'won',
      product: 'Analytics', type: 'new', source: null, closed_at: '2026-03-15', contact: null,
    });
    // "Renewed" is the team's own stage; the owner is given by email; EUR from the Currency column.
    expect(await getDeal(db, '9102')).toMatchObject({ stage: 'won', rep: 'r-ada', currency: 'EUR', amount: '12500.50', type: 'expansion' });
    expect(await getDeal(db, '9103')).toMatchObject({ stage: 'open', rep: 'r-bob', amount: '7500.00', closed_at: null });
    await db.close();
  });

  it('never reads a mapping from the current folder: without --rules and nothing applied, the built-in preset', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    const run = await salesflow(['import', '--source', 'hubspot', exportFile('hubspot-deals.csv')], path, root);
    expect(run.code).toBe(1);
    // "Renewed" is a stage only rules/crm/hubspot.yaml (here, but never applied) knows.
    // The advice names the file that would adjust the preset, not "(built-in hubspot preset)", which nobody can edit.
    expect(run.stderr).toContain('exports/hubspot-deals.csv:3: Deal Stage: unknown stage "Renewed": map it under deal.stages in rules/crm/hubspot.yaml, with preset: hubspot (to open, won or lost) or set deal.unknown_stage');
    const db = await openDatabase(path);
    expect(await getDeal(db, '9101')).toBeNull();
    await db.close();
  });

  it('reports every bad row as FILE:LINE: column: message and imports nothing (--rules: a mapping not applied yet)', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    const run = await salesflow(['import', '--source', 'hubspot', '--rules', 'rules', exportFile('hubspot-deals-bad.csv')], path, root);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      'exports/hubspot-deals-bad.csv:3: Deal Stage: unknown stage "Negotiating": map it under deal.stages in rules/crm/hubspot.yaml (to open, won or lost) or set deal.unknown_stage',
      'exports/hubspot-deals-bad.csv:4: Amount: expected an amount like 1500.50, got "ten thousand"',
      'exports/hubspot-deals-bad.csv:5: Close Date: 2026-02-30 is not a calendar date',
      'exports/hubspot-deals-bad.csv:6: Deal owner: owner "Carol Nobody" is no rep\'s crm_id, email or name: import the CRM\'s owners first (salesflow import --source hubspot --kind reps FILE.csv) or set unknown_owner: keep in rules/crm/hubspot.yaml',
      'exports/hubspot-deals-bad.csv: 4 problems; nothing imported',
    ]);
    const db = await openDatabase(path);
    expect(await getDeal(db, '9201')).toBeNull();
    await db.close();
  });

  it('fills crm_id from a Salesforce users export, then maps opportunity owners by it (built-in preset)', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    const users = await salesflow(['import', '--source', 'salesforce', exportFile('salesforce-users.csv')], path, root);
    expect(users.stdout).toBe('exports/salesforce-users.csv: salesforce reps 1 inserted, 1 updated, 0 unchanged\n');
    const opps = await salesflow(['import', '--source', 'salesforce', exportFile('salesforce-opportunities.csv')], path, root);
    expect(opps.stderr).toBe('');
    expect(opps.code).toBe(0);
    const db = await openDatabase(path);
    // Ada was already a rep: she keeps her id and gains the Salesforce user id.
    expect(await getRepCrmId(db, 'r-ada', 'salesforce')).toBe('0055g00000Usr01AAA');
    expect(await getRep(db, '0055g00000Usr02AAA')).toMatchObject({ name: 'Dan Brown', email: 'dan@acme.example', role: 'AE' });
    expect(await getDeal(db, '0065g00000Opp01AAA')).toMatchObject({ rep: 'r-ada', amount: '48000.00', stage: 'won', closed_at: '2026-03-15', type: 'new' });
    expect(await getDeal(db, '0065g00000Opp02AAA')).toMatchObject({ rep: '0055g00000Usr02AAA', amount: '9999.99', stage: 'open', closed_at: '2026-04-01' });
    await db.close();
  });

  it('reads a Zoho CRM export with the built-in preset', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    const run = await salesflow(['import', '--source', 'zoho', exportFile('zoho-deals.csv')], path, root);
    expect(run.stdout).toContain('zoho deals 1 inserted');
    const db = await openDatabase(path);
    expect(await getDeal(db, 'zcrm_4150868000001234001')).toMatchObject({ amount: '125000.5', currency: 'EUR', stage: 'won', rep: 'r-ada', closed_at: '2026-02-27' });
    await db.close();
  });

  it('--rules naming no file or folder is refused and imports nothing (it fell back to the built-in preset as if the trial mapping were there)', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    // The same export imports with the built-in preset (above): only the missing path stops it.
    const run = await salesflow(['import', '--source', 'zoho', '--rules', 'no-such-rules', exportFile('zoho-deals.csv')], path, root);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('salesflow import: --rules no-such-rules: no such file or folder');
    const db = await openDatabase(path);
    expect(await getDeal(db, 'zcrm_4150868000001234001')).toBeNull();
    await db.close();
  });

  it('says which columns it expected when the header matches no export, and names unknown sources', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const run = await salesflow(['import', '--source', 'zoho', exportFile('hubspot-deals.csv')], path, root);
    expect(run.code).toBe(1);
    // HubSpot's "Record ID" and "Deal owner" are Zoho's headers too (headers match without case): the missing one is named.
    expect(run.stderr).toContain('exports/hubspot-deals.csv:1: missing column "Stage" (deal.csv in (built-in zoho preset))');
    const leads = await salesflow(['import', '--source', 'zoho', exportFile('salesforce-users.csv')], path, root);
    expect(leads.stderr).toContain('exports/salesforce-users.csv:1: the header matches no zoho export in (built-in zoho preset); expected columns for deals: "Record Id", "Deal Owner", "Amount"');
    await applyFixtureRules(path);
    const unknown = await salesflow(['import', '--source', 'pipedrive', exportFile('hubspot-deals.csv')], path, tempDir());
    expect(unknown.stderr).toBe('salesflow import: unknown source "pipedrive": expected hubspot, salesforce, zoho, fxiaoke or ' +
      'rules/crm/pipedrive.yaml in the applied plan ("salesflow apply"; or --rules PATH to try one)\n');
    const tried = await salesflow(['import', '--source', 'pipedrive', '--rules', 'rules', exportFile('hubspot-deals.csv')], path, root);
    expect(tried.stderr).toBe('salesflow import: unknown source "pipedrive": expected hubspot, salesforce, zoho, fxiaoke or a mapping file rules/crm/pipedrive.yaml\n');
    // A --kind that is a name every object has was found by `in` and died with a TypeError.
    for (const kind of ['constructor', 'toString']) {
      const odd = await salesflow(['import', '--source', 'zoho', '--kind', kind, exportFile('zoho-deals.csv')], path, root);
      expect(odd.code).toBe(1);
      expect(odd.stderr).toContain(`salesflow import: --kind must be one of deals, leads, reps, not "${kind}"`);
    }
  });

  it('links a rep to a CRM id only once: a reassigned id moves', async () => {
    const path = join(tempDir(), 'salesflow.db');
    await withReps(path);
    const db = await openDatabase(path);
    await setRepCrmId(db, 'r-bob', '0055g00000Usr01AAA');
    await db.close();
    await salesflow(['import', '--source', 'salesforce', exportFile('salesforce-users.csv')], path, root);
    const after = await openDatabase(path);
    expect(await getRepCrmId(after, 'r-ada', 'salesforce')).toBe('0055g00000Usr01AAA');
    expect(await getRepCrmId(after, 'r-bob', 'salesforce')).toBeNull();
    await after.close();
  });
});
