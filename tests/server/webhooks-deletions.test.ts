// Deals deleted or merged away in HubSpot, or deleted in Zoho CRM (its Notification API), over
// real HTTP on SQLite and PostgreSQL: the deal leaves
// salesflow's deals (simulate stops counting it), the deletion is recorded with who, when and the
// CRM event (`salesflow crm deleted`), a repeat of the event changes nothing, an older change
// delivered after it does not bring the deal back, a deletion older than a change already taken
// removes nothing, and a restore brings the deal back as salesflow held it.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { countEvents } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import type { DealRecord } from '../../src/plan/records.js';
import { salesflow } from '../data/cli.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, startHarness } from './harness.js';

const APP_SECRET = 'deletions-app-secret-0123456789';
const ZOHO_SECRET = 'zoho-deletions-secret-0123456789';
const NOW = Date.parse('2026-03-30T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const T = (minutesAgo: number) => NOW - minutesAgo * 60_000;

const deal = (id: string, amount: string): DealRecord => ({
  id, rep: 'r-ada', name: `Deal ${id}`, amount, currency: 'USD', stage: 'won', product: null, type: 'new', source: null, closed_at: '2026-02-10', contact: null,
});

forEachDialect('HubSpot deal deletions and merges', (target) => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    url = await target.fresh();
    h = await startHarness({
      env: { HUBSPOT_APP_SECRET: APP_SECRET, ZOHO_WEBHOOK_SECRET: ZOHO_SECRET, DATABASE_URL: url },
      mappings: loadMappings([join(fixtures, 'crm-connectors', 'rules')], join(fixtures, 'crm-connectors')).mappings,
      clock: () => NOW,
    });
    await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-ada', '501');
    for (const d of [deal('7001', '60000.00'), deal('7002', '40000.00'), deal('7003', '5000.00'), deal('7004', '1000.00'), deal('4150868000009000001', '2000.00')]) await upsertDeal(h.db, d);
  });
  afterAll(async () => { await h?.close(); });

  async function send(events: object[]) {
    const body = JSON.stringify(events);
    const signature = createHmac('sha256', APP_SECRET).update(`POST${h.config.publicUrl}/webhooks/hubspot${body}${NOW}`).digest('base64');
    const res = await fetch(`${h.url}/webhooks/hubspot`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(NOW) }, body,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { results: { event: string; status: string; type?: string; detail?: string }[] };
  }
  const event = (eventId: number, subscriptionType: string, objectId: number, occurredAt: number, extra: object = {}) =>
    ({ eventId, subscriptionId: 1, portalId: 62515, appId: 1, occurredAt, subscriptionType, attemptNumber: 0, objectId, changeSource: 'CRM_UI', sourceId: 'userId:77', ...extra });
  const change = (eventId: number, objectId: number, propertyName: string, propertyValue: string, occurredAt: number) =>
    event(eventId, 'deal.propertyChange', objectId, occurredAt, { propertyName, propertyValue });

  /** Ada's Q1 revenue as simulate computes it from the data source. */
  async function revenue(): Promise<string> {
    const run = await salesflow(['simulate', '--period', '2026-Q1', '--format', 'json', join(fixtures, 'rules', 'incentives.rules')], url);
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { rep: string; measure: string }[]).find((s) => s.rep === 'r-ada')!.measure;
  }

  it('a deleted deal leaves the deals and stops counting; the deletion is recorded with who, when and the event; a repeat changes nothing', async () => {
    expect(await revenue()).toMatch(/^108000(\.0+)?$/);
    const deleted = await send([event(9001, 'deal.deletion', 7002, T(30))]);
    expect(deleted.results).toEqual([{ event: 'hubspot:9001', status: 'deleted', detail: expect.stringContaining('deal 7002 deleted in the CRM: removed from salesflow\'s deals') }]);
    expect(await getDeal(h.db, '7002')).toBeNull();
    expect(await revenue()).toMatch(/^68000(\.0+)?$/);

    const listed = await salesflow(['crm', 'deleted', '--format', 'json'], url);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({
      entity: 'deal', recordId: '7002', source: 'hubspot', vendorEventId: '9001', change: 'deletion', mergedInto: null, actor: 'userId:77',
      deletedAt: new Date(T(30)).toISOString(), held: expect.objectContaining({ amount: '40000.00', stage: 'won', rep: 'r-ada' }),
    })]);
    const text = await salesflow(['crm', 'deleted'], url);
    expect(text.stdout).toContain('1 deal(s) deleted or merged in their CRM, newest first:');
    expect(text.stdout).toMatch(/hubspot\s+9001\s+7002\s+deleted\s+userId:77\s+won 40000\.00 USD, rep r-ada, closed 2026-02-10/);

    // HubSpot sending the deletion again: acknowledged, nothing changes.
    expect((await send([event(9001, 'deal.deletion', 7002, T(30))])).results).toEqual([{ event: 'hubspot:9001', status: 'duplicate' }]);
    expect(JSON.parse((await salesflow(['crm', 'deleted', '--format', 'json'], url)).stdout)).toHaveLength(1);
  });

  it('a change older than the deletion, delivered after it, does not bring the deal back', async () => {
    const before = await countEvents(h.db);
    const late = await send([change(9002, 7002, 'amount', '45000.00', T(31)), change(9003, 7002, 'dealstage', 'closedwon', T(30))]);
    expect(late.results).toEqual([
      { event: 'hubspot:9002', status: 'older', detail: expect.any(String) },
      { event: 'hubspot:9003', status: 'older', detail: expect.any(String) },
    ]);
    expect(await getDeal(h.db, '7002')).toBeNull();
    expect(await countEvents(h.db)).toBe(before);
  });

  it('a merge removes the deals merged away, each recorded as merged into the deal kept', async () => {
    // newObjectId null: the merge kept the primary (a new deal would have removed the primary too).
    const merged = await send([event(9010, 'deal.merge', 7001, T(20), { primaryObjectId: 7001, mergedObjectIds: [7003], newObjectId: null })]);
    expect(merged.results).toEqual([{ event: 'hubspot:9010:7003', status: 'deleted', detail: expect.stringContaining('deal 7003 merged into deal 7001 in the CRM') }]);
    expect(await getDeal(h.db, '7003')).toBeNull();
    expect(await getDeal(h.db, '7001')).toMatchObject({ amount: '60000.00' });
    expect(await revenue()).toMatch(/^63000(\.0+)?$/);
    const listed = JSON.parse((await salesflow(['crm', 'deleted', '--format', 'json'], url)).stdout) as { recordId: string; change: string; mergedInto: string | null }[];
    expect(listed.find((d) => d.recordId === '7003')).toMatchObject({ change: 'merge', mergedInto: '7001' });
  });

  it('a deletion older than a change of the deal already taken removes nothing (restored and edited, the deletion delivered late)', async () => {
    expect((await send([change(9020, 7004, 'amount', '1500.00', T(10))])).results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    expect((await send([event(9021, 'deal.deletion', 7004, T(15))])).results).toEqual([{ event: 'hubspot:9021', status: 'older', detail: expect.any(String) }]);
    expect(await getDeal(h.db, '7004')).toMatchObject({ amount: '1500.00' });
  });

  it('inside one batch too: a deletion before an older change of its deal removes it, a deletion older than a change before it removes nothing', async () => {
    // Closed in Q2: the Q1 sums the other cases check stay as they are.
    for (const d of [deal('7005', '10.00'), deal('7006', '20.00')]) await upsertDeal(h.db, { ...d, closed_at: '2026-05-10' });
    const batch = await send([
      event(9050, 'deal.deletion', 7005, T(3)), change(9051, 7005, 'amount', '11.00', T(4)),
      change(9052, 7006, 'amount', '21.00', T(3)), event(9053, 'deal.deletion', 7006, T(4)),
    ]);
    expect(batch.results.map((r) => [r.event, r.status])).toEqual([
      ['hubspot:9050', 'deleted'], ['hubspot:9051', 'older'], ['hubspot:9052', 'accepted'], ['hubspot:9053', 'older'],
    ]);
    expect(await getDeal(h.db, '7005')).toBeNull();
    expect(await getDeal(h.db, '7006')).toMatchObject({ amount: '21.00' });
  });

  it('a restore brings the deal back as salesflow held it, and it counts again', async () => {
    const restored = await send([event(9030, 'deal.restore', 7002, T(5))]);
    expect(restored.results).toEqual([{ event: 'hubspot:9030', status: 'accepted', type: 'deal.updated' }]);
    expect(await getDeal(h.db, '7002')).toMatchObject({ amount: '40000.00', stage: 'won', rep: 'r-ada' });
    expect(await revenue()).toMatch(/^103500(\.0+)?$/);
    const listed = JSON.parse((await salesflow(['crm', 'deleted', '--format', 'json'], url)).stdout) as { recordId: string }[];
    expect(listed.map((d) => d.recordId).sort()).toEqual(['7003', '7005']);
  });

  const zoho = (body: object, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const notification = (operation: string, ids: string[], serverTime: number, token = ZOHO_SECRET) => ({
    server_time: serverTime, query_params: {}, module: 'Deals', resource_uri: 'https://www.zohoapis.com/crm/v8/Deals', ids, affected_fields: [], operation, channel_id: '1000000068001', token,
  });

  it('Zoho: a delete notification (token in the body) removes the deal; a repeat is a duplicate; a wrong token is 401 and removes nothing', async () => {
    const z = '4150868000009000001';
    const wrong = await zoho(notification('delete', [z], T(8), 'not-the-zoho-secret-at-all'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'Zoho notification: token does not match ZOHO_WEBHOOK_SECRET' });
    expect(await getDeal(h.db, z)).not.toBeNull();

    const res = await zoho(notification('delete', [z], T(8)));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: `zoho:delete:${T(8)}:${z}`, status: 'deleted' }] });
    expect(await getDeal(h.db, z)).toBeNull();
    expect(await revenue()).toMatch(/^101500(\.0+)?$/);
    const listed = JSON.parse((await salesflow(['crm', 'deleted', '--source', 'zoho', '--format', 'json'], url)).stdout) as object[];
    expect(listed).toEqual([expect.objectContaining({ recordId: z, source: 'zoho', vendorEventId: `delete:${T(8)}:${z}`, change: 'deletion', actor: null, deletedAt: new Date(T(8)).toISOString() })]);
    expect(await (await zoho(notification('delete', [z], T(8)))).json()).toMatchObject({ results: [{ status: 'duplicate' }] });
    // Other operations name ids only: the workflow webhook brings the change.
    expect(await (await zoho(notification('update', ['4150868000009000002'], T(7)))).json()).toMatchObject({
      results: [{ event: `zoho:update:${T(7)}:4150868000009000002`, status: 'ignored', detail: expect.stringContaining('the workflow webhook sends the changes') }],
    });
  });

  it('a deal imported again after its deletion is the team\'s: webhooks change it again, and crm deleted no longer lists it', async () => {
    // 7003 was merged away above; the team imports it again from a CSV.
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-deleted-import-'));
    try {
      const file = join(dir, 'deals.csv');
      writeFileSync(file, 'id,rep,amount,currency,stage,closed_at\n7003,r-ada,5000.00,USD,won,2026-02-10\n');
      expect((await salesflow(['import', '--kind', 'deals', file], url)).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const listed = JSON.parse((await salesflow(['crm', 'deleted', '--format', 'json'], url)).stdout) as { recordId: string }[];
    expect(listed.map((d) => d.recordId)).not.toContain('7003');
    // A change from before the merge is taken again: the deal is back on purpose.
    expect((await send([change(9040, 7003, 'amount', '5500.00', T(25))])).results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    expect(await getDeal(h.db, '7003')).toMatchObject({ amount: '5500.00' });
  });

  it('Zoho: a workflow webhook change older than the deletion does not bring the deal back', async () => {
    const z = '4150868000009000001';
    const older = { module: 'Deals', id: z, Deal_Name: 'Back?', Amount: '2000.00', Stage: 'Closed Won', Owner: '501', Modified_Time: new Date(T(9)).toISOString() };
    const res = await zoho(older, { 'X-Salesflow-Token': ZOHO_SECRET });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ status: 'older' }] });
    expect(await getDeal(h.db, z)).toBeNull();
  });
  it('a deletion of a deal salesflow never held says so, and is recorded so a late change does not store it', async () => {
    const deleted = await send([event(9005, 'deal.deletion', 7999, T(30))]);
    expect(deleted.results).toEqual([{ event: 'hubspot:9005', status: 'deleted', detail: expect.stringContaining('deal 7999 deleted in the CRM: salesflow held no such deal') }]);
    expect(deleted.results[0].detail).not.toContain("removed from salesflow's deals");
    const late = await send([change(9006, 7999, 'amount', '45000.00', T(31))]);
    expect(late.results).toEqual([{ event: 'hubspot:9006', status: 'older', detail: expect.any(String) }]);
    expect(await getDeal(h.db, '7999')).toBeNull();
  });
});

