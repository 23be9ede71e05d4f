// Deals stored with a stand-in amount of 0 (deal.missing_amount) on both data sources: an export
// without an amount, then a HubSpot stage change to won without one, is refused on SQLite and
// PostgreSQL alike; an import that is refused leaves no stand-in behind that would refuse a real 0
// later; and the CRM's own 0 is an amount.
import { expect, it } from 'vitest';
import { importCrmCsv } from '../../src/connectors/csv-import.js';
import { type Delivery, prepareDeliveries } from '../../src/connectors/deliveries.js';
import { builtInMapping } from '../../src/connectors/mapping/load.js';
import { dataCrmStore } from '../../src/connectors/store.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { forEachDialect } from '../support/dialects.js';

const hubspot = builtInMapping('hubspot');
const header = '"Record ID","Deal Name","Deal Stage","Deal owner","Amount"';

/** A HubSpot stage change of one deal, carrying only the stage, as HubSpot sends it. */
function stageChange(deal: string, stage: string): Delivery {
  const changed: Record<string, unknown> = { dealstage: stage };
  return {
    vendorEventId: `${deal}-${stage}`, entity: 'deal', recordId: deal, occurredAt: '2026-03-02T12:00:00.000Z',
    read: (source) => (source in changed ? changed[source] : undefined), version: null, raw: changed,
  };
}

async function withRep(url: string): Promise<Db> {
  const db = await openDatabase(url);
  await upsertRep(db, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  return db;
}

forEachDialect('deals without an amount', (target) => {
  it('an imported deal without an amount, won later without one, is refused; with the CRM giving 0 it is taken', async () => {
    const db = await withRep(await target.fresh());
    try {
      const first = await importCrmCsv(db, hubspot, `${header}\n"1","Soylent","Appointment Scheduled","Ada Byron",""\n"2","Tyrell","Appointment Scheduled","Ada Byron",""\n`, 'deals.csv');
      expect(first).toMatchObject({ ok: true, inserted: 2 });
      expect(await getDeal(db, '1')).toMatchObject({ amount: '0', stage: 'open' });

      const refused = await prepareDeliveries(hubspot, dataCrmStore(db), [stageChange('1', 'closedwon')]);
      expect(refused).toMatchObject({ ok: true, prepared: [{ event: null, rejected: [{ field: 'amount', message: expect.stringContaining('no amount: a won deal without an amount would pay no commission') }] }] });

      // The CRM's own 0 (a free pilot, re-exported): from then on 0 is the deal's amount.
      const again = await importCrmCsv(db, hubspot, `${header}\n"2","Tyrell","Appointment Scheduled","Ada Byron","0"\n`, 'deals.csv');
      // The deal row is as stored (amount 0 either way): unchanged, but no longer a stand-in.
      expect(again).toMatchObject({ ok: true, updated: 0, unchanged: 1, warnings: [] });
      const taken = await prepareDeliveries(hubspot, dataCrmStore(db), [stageChange('2', 'closedwon')]);
      expect(taken).toMatchObject({ ok: true, prepared: [{ event: { type: 'deal.won', deal: { amount: '0', stage: 'won' } } }] });
    } finally {
      await db.close();
    }
  });
});
