// An unsubscribe click while Temporal is unreachable: the address is suppressed all the same (the
// send activities check it), the page says so without claiming the runs were stopped, and nothing
// is recorded as routed, so a later click routes the stop for real.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countEvents } from '../../src/data/events.js';
import { upsertLead } from '../../src/data/leads.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import { signToken } from '../../src/tokens/index.js';
import { type Harness, SECRET, startHarnessWithoutTemporal } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarnessWithoutTemporal();
});
afterAll(async () => {
  await h?.close();
});

it('suppresses the address, says the runs will skip it, and records no stop as done', async () => {
  for (const id of ['L-1', 'L-2']) await upsertLead(h.db, { id, name: 'Ada', email: 'ada@example.com', company: null, source: null, stage: null, owner: null, timezone: null, score: null });
  const token = signToken({ purpose: 'unsubscribe', email: 'ada@example.com', ruleId: 'webinar', exp: Date.now() + 3600_000 }, SECRET);
  const started = Date.now();
  const res = await fetch(`${h.url}/unsubscribe/${token}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  expect(res.status).toBe(200);
  const page = await res.text();
  expect(page).toContain('is unsubscribed: no sequence of ours will email it again');
  expect(page).toContain('will skip it when they next send');
  expect(page).not.toContain('have been stopped');
  expect(await isSuppressed(h.db, 'ada@example.com')).toBe(true);
  expect(await countEvents(h.db)).toBe(0);
  expect(Date.now() - started).toBeLessThan(15_000); // not the tens of seconds a hung signal takes
}, 60_000);
