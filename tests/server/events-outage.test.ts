// POST /events while Temporal is unreachable: the CRM gets 503 with Retry-After and nothing is
// recorded, so its retry is routed for real instead of being taken for a duplicate.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countEvents } from '../../src/data/events.js';
import { signBody } from '../../src/server/signature.js';
import { type Harness, SECRET, startHarnessWithoutTemporal } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarnessWithoutTemporal();
});
afterAll(async () => {
  await h?.close();
});

it('answers 503 with Retry-After within seconds and records nothing', async () => {
  const started = Date.now();
  const body = JSON.stringify({
    id: 'evt-outage-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z',
    lead: { id: 'L-1', name: 'Ada', email: 'ada@example.com' },
  });
  const res = await fetch(`${h.url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
  expect(res.status).toBe(503);
  expect(Date.now() - started).toBeLessThan(12_000);
  expect(res.headers.get('retry-after')).toBe('30');
  expect(((await res.json()) as { message: string }).message).toMatch(/retry later/);
  expect(await countEvents(h.db)).toBe(0);
}, 60_000);
