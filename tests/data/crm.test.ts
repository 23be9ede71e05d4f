// The CRM connectors' store (src/data/crm.ts) on both data sources: owners found by crm_id, email
// or unique name; a CRM id belongs to one rep; an older change never wins over a newer one.
import { expect, it } from 'vitest';
import { claimRecordVersion, getRepCrmId, newestRecordChange, newestRecordVersion, repIdForOwner, setRepCrmId } from '../../src/data/crm.js';
import { openDatabase } from '../../src/data/db.js';
import { migrations } from '../../src/data/migrations.js';
import { upsertRep } from '../../src/data/reps.js';
import { forEachDialect } from '../support/dialects.js';

const rep = (id: string, name: string, email: string) =>
  ({ id, name, email, team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });

forEachDialect('CRM store', (target) => {
  it('finds the rep for an owner by crm_id, then email, then a name only one rep has', async () => {
    const db = await openDatabase(await target.fresh());
    await upsertRep(db, rep('r-ada', 'Ada Byron', 'Ada@Acme.example'));
    await upsertRep(db, rep('r-bob', 'Bob Stone', 'bob@acme.example'));
    await upsertRep(db, rep('r-bob2', 'Bob Stone', 'bob2@acme.example'));
    await setRepCrmId(db, 'r-bob', '502');
    expect(await repIdForOwner(db, '502')).toBe('r-bob');
    expect(await repIdForOwner(db, 'ada@acme.example')).toBe('r-ada');
    expect(await repIdForOwner(db, 'Ada Byron')).toBe('r-ada');
    expect(await repIdForOwner(db, 'Bob Stone')).toBeNull(); // two reps have that name
    expect(await repIdForOwner(db, '999')).toBeNull();
    // A reassigned CRM user: the id moves, it is never on two reps.
    await setRepCrmId(db, 'r-ada', '502');
    expect(await getRepCrmId(db, 'r-ada')).toBe('502');
    expect(await getRepCrmId(db, 'r-bob')).toBeNull();
    await db.close();
  });

  it('keeps one owner id per CRM source: HubSpot linking a rep leaves its Salesforce id, and an id is one rep\'s per source', async () => {
    const db = await openDatabase(await target.fresh());
    await upsertRep(db, rep('r-ada', 'Ada Byron', 'ada@acme.example'));
    await upsertRep(db, rep('r-bob', 'Bob Stone', 'bob@acme.example'));
    await setRepCrmId(db, 'r-ada', '0055g00000Usr01AAA', 'salesforce');
    await setRepCrmId(db, 'r-ada', '502', 'hubspot');
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'salesforce')).toBe('r-ada');
    expect(await repIdForOwner(db, '502', 'hubspot')).toBe('r-ada');
    expect(await repIdForOwner(db, '502', 'salesforce')).toBeNull(); // HubSpot's id, not Salesforce's
    expect(await getRepCrmId(db, 'r-ada', 'salesforce')).toBe('0055g00000Usr01AAA');
    // The same id in two CRMs names two people.
    await setRepCrmId(db, 'r-bob', '502', 'zoho');
    expect(await repIdForOwner(db, '502', 'zoho')).toBe('r-bob');
    expect(await repIdForOwner(db, '502', 'hubspot')).toBe('r-ada');
    // Linked at once to two reps in one source: one of them holds it, never both.
    await Promise.all([setRepCrmId(db, 'r-ada', '777', 'hubspot'), setRepCrmId(db, 'r-bob', '777', 'hubspot')]);
    const holders = await db.kysely.selectFrom('rep_crm_ids').select('rep_id').where('source', '=', 'hubspot').where('crm_id', '=', '777').execute();
    expect(holders).toHaveLength(1);
    expect(await repIdForOwner(db, '777', 'hubspot')).toBe(holders[0].rep_id);
    await db.close();
  });

  it('two processes swapping two reps\' ids at once both link, every time (no deadlock on PostgreSQL)', async () => {
    const db = await openDatabase(await target.fresh());
    await upsertRep(db, rep('r-ada', 'Ada Byron', 'ada@acme.example'));
    await upsertRep(db, rep('r-bob', 'Bob Stone', 'bob@acme.example'));
    for (let round = 0; round < 100; round++) {
      const [ada, bob] = round % 2 === 0 ? ['601', '602'] : ['602', '601'];
      await Promise.all([setRepCrmId(db, 'r-ada', ada, 'hubspot'), setRepCrmId(db, 'r-bob', bob, 'hubspot')]);
      expect([await repIdForOwner(db, ada, 'hubspot'), await repIdForOwner(db, bob, 'hubspot')], `round ${round}`).toEqual(['r-ada', 'r-bob']);
    }
    await db.close();
  });

  it('carries the one crm_id a rep held before migration 15 over to every source, after each source\'s own', async () => {
    const url = await target.fresh();
    const old = await openDatabase(url, { migrations: migrations.filter((m) => m.version < 15) });
    await upsertRep(old, rep('r-ada', 'Ada Byron', 'ada@acme.example'));
    await upsertRep(old, rep('r-bob', 'Bob Stone', 'bob@acme.example'));
    await old.kysely.updateTable('reps').set({ crm_id: '0055g00000Usr01AAA' }).where('id', '=', 'r-ada').execute();
    await old.close();
    const db = await openDatabase(url);
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'salesforce')).toBe('r-ada');
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'zoho')).toBe('r-ada');
    // HubSpot links its own id: the carried-over one still finds Ada for Salesforce.
    await setRepCrmId(db, 'r-ada', '502', 'hubspot');
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'salesforce')).toBe('r-ada');
    // A source giving the carried-over id to another rep takes it over (a reassigned user).
    await setRepCrmId(db, 'r-bob', '0055g00000Usr01AAA', 'salesforce');
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'salesforce')).toBe('r-bob');
    expect(await repIdForOwner(db, '0055g00000Usr01AAA', 'zoho')).toBeNull();
    await db.close();
  });

  it('takes a change only when it is not older than the newest taken, also when claims race', async () => {
    const db = await openDatabase(await target.fresh());
    expect(await claimRecordVersion(db, 'salesforce', 'Opportunity:1', 2000)).toBe('current');
    expect(await claimRecordVersion(db, 'salesforce', 'Opportunity:1', 1000)).toBe('stale');
    expect(await claimRecordVersion(db, 'salesforce', 'Opportunity:1', 2000)).toBe('current'); // a repeat
    expect(await claimRecordVersion(db, 'zoho', 'Opportunity:1', 1000)).toBe('current'); // another source
    const outcomes = await Promise.all([3000, 5000, 4000].map((v) => claimRecordVersion(db, 'salesforce', 'Opportunity:2', v)));
    expect(outcomes.filter((o) => o === 'current').length).toBeGreaterThanOrEqual(1);
    expect(await claimRecordVersion(db, 'salesforce', 'Opportunity:2', 4999)).toBe('stale');
    expect(await claimRecordVersion(db, 'salesforce', 'Opportunity:2', 5000)).toBe('current');
    await db.close();
  });

  it('reads the newest version taken of a record, as epoch milliseconds, without claiming one', async () => {
    const db = await openDatabase(await target.fresh());
    const at = Date.parse('2026-03-02T11:59:00Z'); // past 32 bits: PostgreSQL's BIGINT, read back as a number
    expect(await newestRecordVersion(db, 'hubspot', 'deal:9:amount')).toBeNull();
    expect(await claimRecordVersion(db, 'hubspot', 'deal:9:amount', at)).toBe('current');
    expect(await claimRecordVersion(db, 'hubspot', 'deal:9:amount', at - 60_000)).toBe('stale');
    expect(await newestRecordVersion(db, 'hubspot', 'deal:9:amount')).toBe(at);
    expect(await newestRecordVersion(db, 'zoho', 'deal:9:amount')).toBeNull();
    await db.close();
  });

  it("finds a record's newest change among its property keys also when its id holds characters outside the BMP", async () => {
    // JavaScript counts 😀 as two units, SQL as one character: a prefix measured in JS units
    // overran by one and matched none of the record's property keys.
    const db = await openDatabase(await target.fresh());
    const at = Date.parse('2026-03-02T11:59:00Z');
    for (const id of ['deal-7', 'deal-😀7', 'déal-7']) {
      expect(await claimRecordVersion(db, 'hubspot', `deal:${id}:amount`, at)).toBe('current');
      expect(await claimRecordVersion(db, 'hubspot', `deal:${id}`, at - 60_000)).toBe('current');
      expect(await newestRecordChange(db, 'hubspot', `deal:${id}`)).toBe(at);
    }
    // Another record whose key only starts the same is not read as a property of this one.
    expect(await claimRecordVersion(db, 'hubspot', 'deal:😀8x:amount', at + 1)).toBe('current');
    expect(await newestRecordChange(db, 'hubspot', 'deal:😀8')).toBeNull();
    await db.close();
  });
});
