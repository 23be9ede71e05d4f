// A NUL character (U+0000) in an event's or a webhook's text, on both data sources. PostgreSQL
// cannot store it in text: the insert failed, the sender was told 503 "retry later", and every
// retry failed the same way. It is the sender's error, named with its field, and nothing is stored.
import { afterEach, expect, it } from 'vitest';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { upsertRep } from '../../src/data/reps.js';
import { countEvents } from '../../src/data/events.js';
import { getLead } from '../../src/data/leads.js';
import { signBody } from '../../src/server/signature.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, SECRET, startHarness } from './harness.js';

const ZOHO_SECRET = 'zoho-shared-secret-0123456789';

forEachDialect('a NUL character in text', (target) => {
  let h: Harness | undefined;
  afterEach(async () => { await h?.close(); h = undefined; });

  it('POST /events: 400 naming the field, nothing recorded', async () => {
    h = await startHarness({ env: { DATABASE_URL: await target.fresh() }, routeEvent: async () => ({ duplicate: false }) });
    const body = JSON.stringify({ id: 'evt-nul', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L-nul', name: 'Ada\u0000 Lovelace', email: 'ada@example.com' } });
    const res = await fetch(`${h.url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_event', message: 'lead.name: contains a NUL character (U+0000), which cannot be stored: remove it' });
    const nulId = JSON.stringify({ id: 'evt-\u0000', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L-nul', email: 'ada@example.com' } });
    const byId = await fetch(`${h.url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(nulId, SECRET) }, body: nulId });
    expect(byId.status).toBe(400);
    expect(await byId.json()).toEqual({ error: 'bad_event', message: 'id: contains a NUL character (U+0000), which cannot be stored: remove it' });
    expect(await countEvents(h.db)).toBe(0);
    expect(await getLead(h.db, 'L-nul')).toBeNull();
  });

  it('a Zoho lead with one is rejected alone and recorded (salesflow crm rejected), not a 503 the CRM retries forever', async () => {
    h = await startHarness({ env: { DATABASE_URL: await target.fresh(), ZOHO_WEBHOOK_SECRET: ZOHO_SECRET } });
    await upsertRep(h.db, { id: 'r-wu', name: 'Wu Fang', email: 'wu@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    const body = JSON.stringify({ module: 'Leads', id: 'Z-nul', First_Name: 'Grace\u0000', Last_Name: 'Hopper', Email: 'grace@navy.example', Owner: 'wu@acme.example', Modified_Time: '2026-03-01T10:00:00Z' });
    const res = await fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Token': ZOHO_SECRET }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'partly_rejected', rejected: 1 });
    expect(await listCrmRejections(h.db, { source: 'zoho' })).toEqual([expect.objectContaining({
      recordId: 'Z-nul', message: expect.stringContaining('contains a NUL character (U+0000), which cannot be stored: remove it'),
    })]);
    expect(await getLead(h.db, 'Z-nul')).toBeNull();

    // In the record's id the change cannot even be recorded as rejected: the request is refused.
    const byId = await fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Token': ZOHO_SECRET }, body: body.replace('"Z-nul"', '"Z-\\u0000"') });
    expect(byId.status).toBe(400);
    expect(await byId.json()).toEqual({ error: 'bad_request', message: 'record 1: the lead id at "id" contains a NUL character (U+0000)' });
    expect(await listCrmRejections(h.db, { source: 'zoho' })).toHaveLength(1);
    expect(await countEvents(h.db)).toBe(0);
  });
});
