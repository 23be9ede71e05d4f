// An unsubscribe click routes a `lead.unsubscribed` that carries the lead as the page read it. A
// change another process makes to that lead meanwhile (a CRM update of its owner) must survive:
// the click is about the address, not the lead's other fields.
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getLead, upsertLead } from '../../src/data/leads.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import { routeEvent } from '../../src/runtime/events.js';
import { signToken } from '../../src/tokens/index.js';
import { type Harness, SECRET, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    // The real router, right after another process changed the lead's owner and score (between
    // the page's read of the lead and the routing of its event).
    routeEvent: async (event, absent, options) => {
      await h.db.kysely.updateTable('leads').set({ owner: 'r-new', score: '99' }).where('id', '=', 'L-7').execute();
      return routeEvent({ client: new Client(), db: h.db, plan: { formatVersion: 1, hash: 'test', metrics: [], rules: [] }, config: h.config }, event, absent, options);
    },
  });
});
afterAll(async () => {
  await h?.close();
});

it('keeps what another process wrote to the lead while the click was routed; the address is suppressed', async () => {
  await upsertLead(h.db, { id: 'L-7', name: 'Ada', email: 'ada@example.com', company: 'Analytical', source: 'webinar', stage: 'new', owner: 'r-old', timezone: 'UTC', score: '10' });
  const token = signToken({ purpose: 'unsubscribe', email: 'ada@example.com', ruleId: 'webinar', exp: Date.now() + 3600_000 }, SECRET);
  const res = await fetch(`${h.url}/unsubscribe/${token}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  expect(res.status).toBe(200);
  expect(await isSuppressed(h.db, 'ada@example.com')).toBe(true);
  expect(await getLead(h.db, 'L-7')).toMatchObject({ name: 'Ada', email: 'ada@example.com', owner: 'r-new', score: '99', stage: 'new' });
}, 60_000);
