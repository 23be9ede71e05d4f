// POST /webhooks/hubspot over real HTTP, with a stand-in HubSpot CRM API: HubSpot's published v1
// signature example, a v3 signature computed here, the 5-minute window on an injected clock,
// batches, repeats, out-of-order changes (an older one inside a batch too, on SQLite and
// PostgreSQL), property changes completed from salesflow's data or the API, requests refused as a
// whole (storing nothing), and changes rejected alone while the rest of their batch is taken.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { getRepCrmId, setRepCrmId } from '../../src/data/crm.js';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { getLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import { type HubSpotStandIn, startHubSpotStandIn } from '../connectors/support/hubspot-standin.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, startHarness } from './harness.js';

// HubSpot's documented example secret (developers.hubspot.com, "v1 request validation").
const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = Date.parse('2026-03-02T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');

let h: Harness;
let api: HubSpotStandIn;

beforeAll(async () => {
  api = await startHubSpotStandIn();
  h = await startHarness({
    env: { HUBSPOT_APP_SECRET: APP_SECRET, HUBSPOT_API_TOKEN: api.token, HUBSPOT_API_URL: api.url },
    mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
    clock: () => NOW,
  });
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await upsertRep(h.db, { id: 'r-bob', name: 'Bob', email: 'bob@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-ada', '501');
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});
beforeEach(() => { api.requests.length = 0; });

function signV3(body: string, timestamp: number, uri = `${h.config.publicUrl}/webhooks/hubspot`): Record<string, string> {
  const signature = createHmac('sha256', APP_SECRET).update(`POST${uri}${body}${timestamp}`).digest('base64');
  return { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) };
}

function post(body: string, headers: Record<string, string>) {
  return fetch(`${h.url}/webhooks/hubspot`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function change(eventId: number, objectId: number, propertyName: string, propertyValue: string, occurredAt = NOW - 60_000) {
  return { eventId, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId, propertyName, propertyValue, changeSource: 'CRM' };
}

async function storeDeal(id: string, stage: 'open' | 'won' | 'lost' = 'open') {
  await upsertDeal(h.db, { id, rep: 'r-ada', name: `Deal ${id}`, amount: '24000.00', currency: 'USD', stage, product: null, type: 'new', source: null, closed_at: null, contact: 'cio@globex.example' });
}

describe('POST /webhooks/hubspot', () => {
  it("accepts HubSpot's published v1 example, fetching the new contact from the CRM API", async () => {
    api.objects.set('contacts/123', { firstname: 'Grace', lastname: 'Hopper', email: 'grace@navy.example', company: 'Navy', hubspot_owner_id: '501', lifecyclestage: 'lead' });
    const body = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    const res = await post(body, { 'X-HubSpot-Signature': '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de', 'X-HubSpot-Signature-Version': 'v1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted', results: [{ event: 'hubspot:1', type: 'lead.created', status: 'accepted' }] });
    expect(await getLead(h.db, '123')).toMatchObject({ name: 'Grace Hopper', email: 'grace@navy.example', company: 'Navy', owner: 'r-ada', stage: 'lead' });
    expect(api.requests[0]).toMatch(/^GET \/crm\/v3\/objects\/contacts\/123\?properties=/);
  });

  it('turns a signed (v3) dealstage change to closedwon into deal.won on the deal salesflow holds', async () => {
    await storeDeal('9001');
    const body = JSON.stringify([change(101, 9001, 'dealstage', 'closedwon')]);
    const res = await post(body, signV3(body, NOW - 10_000));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: 'hubspot:101', type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, '9001')).toMatchObject({ stage: 'won', amount: '24000.00', rep: 'r-ada', contact: 'cio@globex.example' });
    expect((await getEvent(h.db, 'hubspot:101'))?.type).toBe('deal.won');
    expect(api.requests).toEqual([]); // salesflow had the rest of the deal
  });

  it('acknowledges a repeated eventId as a duplicate and changes nothing', async () => {
    const before = await countEvents(h.db);
    const body = JSON.stringify([change(101, 9001, 'dealstage', 'closedlost')]);
    const res = await post(body, signV3(body, NOW - 5_000));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: 'hubspot:101', status: 'duplicate' }] });
    expect(await countEvents(h.db)).toBe(before);
    expect((await getDeal(h.db, '9001'))?.stage).toBe('won');
  });

  it('a batch sent again answers each change it took as a duplicate, also one a later change of the batch made older (was "older: ... nothing changed")', async () => {
    await storeDeal('9091');
    const body = JSON.stringify([change(951, 9091, 'amount', '100.00', NOW - 60_000), change(952, 9091, 'amount', '200.00', NOW - 50_000)]);
    expect(await (await post(body, signV3(body, NOW - 9_000))).json()).toMatchObject({ results: [{ status: 'accepted' }, { status: 'accepted' }] });
    const before = await countEvents(h.db);
    // HubSpot's retry of the whole batch (its request timed out before the answer came).
    const again = await post(body, signV3(body, NOW - 2_000));
    expect(await again.json()).toMatchObject({ status: 'accepted', results: [{ event: 'hubspot:951', status: 'duplicate' }, { event: 'hubspot:952', status: 'duplicate' }] });
    expect(await countEvents(h.db)).toBe(before);
    expect((await getDeal(h.db, '9091'))?.amount).toBe('200.00');
  });

  it('takes a v3 signature over a Target URL with a query string, signed with the escapes HubSpot decodes (%3A as :), or as sent', async () => {
    await storeDeal('9011');
    const query = '?portal=62515&tag=emea%3Aae&owner=ops%40acme.example&q=a%20b';
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${h.url}/webhooks/hubspot${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const decoded = JSON.stringify([change(121, 9011, 'amount', '1200')]);
    const asSent = JSON.stringify([change(122, 9011, 'dealname', 'Renewal')]);
    const responses = [
      await post(decoded, signV3(decoded, NOW, `${h.config.publicUrl}/webhooks/hubspot?portal=62515&tag=emea:ae&owner=ops@acme.example&q=a%20b`)),
      await post(asSent, signV3(asSent, NOW, `${h.config.publicUrl}/webhooks/hubspot${query}`)),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(await getDeal(h.db, '9011')).toMatchObject({ amount: '1200', name: 'Renewal' });
    // Only the listed escapes: a signature over `a b` (the %20 decoded too) is not HubSpot's.
    const wrong = JSON.stringify([change(123, 9011, 'amount', '5')]);
    const refused = await post(wrong, signV3(wrong, NOW, `${h.config.publicUrl}/webhooks/hubspot?portal=62515&tag=emea:ae&owner=ops@acme.example&q=a b`));
    expect(refused.status).toBe(401);
    expect((await getDeal(h.db, '9011'))?.amount).toBe('1200');
  });

  it('takes a batch in order, and an older change of a property never overwrites a newer one', async () => {
    await storeDeal('9002');
    const newer = JSON.stringify([change(201, 9002, 'amount', '31000.50', NOW - 30_000), change(202, 9002, 'dealstage', 'closedlost', NOW - 30_000)]);
    expect((await post(newer, signV3(newer, NOW - 1_000))).status).toBe(200);
    expect(await getDeal(h.db, '9002')).toMatchObject({ amount: '31000.50', stage: 'lost' });
    expect((await getEvent(h.db, 'hubspot:202'))?.type).toBe('deal.lost');

    const older = JSON.stringify([change(200, 9002, 'amount', '1000', NOW - 90_000)]);
    const res = await post(older, signV3(older, NOW - 1_000));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: 'hubspot:200', status: 'older' }] });
    expect((await getDeal(h.db, '9002'))?.amount).toBe('31000.50');
    expect(await getEvent(h.db, 'hubspot:200')).toBeNull();
  });

  it('takes generic subscriptions (object.creation / object.propertyChange with objectTypeId), which apps on the current platform send; they were all acknowledged as "ignored"', async () => {
    await storeDeal('9021');
    api.objects.set('contacts/9022', { firstname: 'Katherine', lastname: 'Johnson', email: 'kj@nasa.example', hubspot_owner_id: '501', lifecyclestage: 'lead' });
    const generic = (eventId: number, objectTypeId: string, objectId: number, extra: object) =>
      ({ eventId, subscriptionId: 2, portalId: 62515, appId: 54321, occurredAt: NOW - 20_000, attemptNumber: 0, objectId, objectTypeId, changeSource: 'CRM', ...extra });
    const body = JSON.stringify([
      generic(131, '0-3', 9021, { subscriptionType: 'object.propertyChange', propertyName: 'dealstage', propertyValue: 'closedwon' }),
      generic(132, '0-1', 9022, { subscriptionType: 'object.creation' }),
      generic(133, '0-2', 9023, { subscriptionType: 'object.creation' }),
    ]);
    const res = await post(body, signV3(body, NOW));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted', results: [
      { event: 'hubspot:133', status: 'ignored', detail: 'object.creation of company (0-2): not taken by rules/crm/hubspot.yaml' },
      { event: 'hubspot:131', type: 'deal.won', status: 'accepted' },
      { event: 'hubspot:132', type: 'lead.created', status: 'accepted' },
    ] });
    expect((await getDeal(h.db, '9021'))?.stage).toBe('won');
    expect(await getLead(h.db, '9022')).toMatchObject({ name: 'Katherine Johnson', email: 'kj@nasa.example', owner: 'r-ada' });

    const untyped = JSON.stringify([{ ...generic(134, '0-3', 9021, { subscriptionType: 'object.propertyChange', propertyName: 'amount', propertyValue: '1' }), objectTypeId: undefined }]);
    const refused = await post(untyped, signV3(untyped, NOW));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toBe('event 0: object.propertyChange needs objectTypeId (like "0-3" for deals), got null');
    expect((await getDeal(h.db, '9021'))?.amount).toBe('24000.00');
  });

  it('keeps every change to one deal when they arrive in parallel requests', async () => {
    // Not in salesflow yet: each request would read the rest from the API, and without taking
    // them in turn the last one written would undo the others.
    api.objects.set('deals/9006', { dealname: 'Old name', amount: '100', dealstage: 'contractsent', hubspot_owner_id: '501', deal_currency_code: 'USD' });
    const bodies = [
      JSON.stringify([change(701, 9006, 'amount', '777.77')]),
      JSON.stringify([change(702, 9006, 'dealname', 'Renamed deal')]),
      JSON.stringify([change(703, 9006, 'closedate', '2026-03-01T00:00:00.000Z')]),
    ];
    const responses = await Promise.all(bodies.map((b) => post(b, signV3(b, NOW))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    // 2026-03-01T00:00Z is still 28 February in New York, the mapping's time zone.
    expect(await getDeal(h.db, '9006')).toMatchObject({ amount: '777.77', name: 'Renamed deal', closed_at: '2026-02-28' });
  });

  it('a close date sent as midnight UTC (how HubSpot sends a date property) is that day in New York, not the day before and a quarter early', async () => {
    await storeDeal('9031');
    const body = JSON.stringify([change(731, 9031, 'closedate', '1775001600000')]);
    expect((await post(body, signV3(body, NOW))).status).toBe(200);
    expect((await getDeal(h.db, '9031'))?.closed_at).toBe('2026-04-01');
  });

  it('fetches a deal salesflow does not hold from the CRM API and finds its owner by email', async () => {
    api.objects.set('deals/9003', { dealname: 'Initech renewal', amount: '5000', dealstage: 'contractsent', closedate: '2026-03-02T03:30:00.000Z', hubspot_owner_id: '502', deal_currency_code: 'EUR', product_line: 'Analytics' });
    api.owners.set('502', { email: 'bob@acme.example', firstName: 'Bob', lastName: 'B' });
    const body = JSON.stringify([change(301, 9003, 'dealstage', '98765432')]);
    const res = await post(body, signV3(body, NOW));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ type: 'deal.won' }] });
    // The custom "Renewed" stage of the team's file; the close date is the New York day (03:30 UTC is still the 1st there).
    expect(await getDeal(h.db, '9003')).toMatchObject({ name: 'Initech renewal', amount: '5000', currency: 'EUR', stage: 'won', rep: 'r-bob', product: 'Analytics', closed_at: '2026-03-01' });
    expect(await getRepCrmId(h.db, 'r-bob', 'hubspot')).toBe('502');
    expect(api.requests.map((r) => r.split('?')[0])).toEqual(['GET /crm/v3/objects/deals/9003', 'GET /crm/v3/owners/502']);
  });

  it('ignores a change of a property no salesflow field reads, a contact deletion, and a restore of a deal that is not deleted', async () => {
    const before = await countEvents(h.db);
    const body = JSON.stringify([
      change(601, 9001, 'description', 'new notes'),
      { ...change(602, 123, 'email', ''), subscriptionType: 'contact.deletion', propertyName: undefined },
      { ...change(603, 9001, 'dealstage', ''), subscriptionType: 'deal.restore', propertyName: undefined },
    ]);
    const res = await post(body, signV3(body, NOW));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [
      { event: 'hubspot:601', status: 'ignored', detail: 'description: no salesflow field reads this property' },
      { event: 'hubspot:602', status: 'ignored', detail: 'contact.deletion: salesflow removes deleted and merged deals, not leads; lead 123 stays as it was (docs/crm.md, "Deleted and merged records")' },
      { event: 'hubspot:603', status: 'ignored', detail: 'deal 9001 is not deleted in salesflow; nothing to restore' },
    ] });
    expect(await countEvents(h.db)).toBe(before);
    expect(await getLead(h.db, '123')).not.toBeNull();
  });

  it('rejects an unmapped stage alone, naming it and the file, and takes the other change of the batch (HubSpot never retries a 4xx)', async () => {
    await storeDeal('9004');
    const before = await countEvents(h.db);
    const body = JSON.stringify([change(401, 9004, 'amount', '100'), change(402, 9004, 'dealstage', '55555555')]);
    const res = await post(body, signV3(body, NOW));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'partly_rejected', rejected: 1, results: [
      { event: 'hubspot:401', status: 'accepted' },
      { event: 'hubspot:402', status: 'rejected', detail: expect.stringContaining('dealstage: unknown stage "55555555": map it under deal.stages in rules/crm/hubspot.yaml') },
    ] });
    expect(await countEvents(h.db)).toBe(before + 1);
    expect(await getDeal(h.db, '9004')).toMatchObject({ amount: '100', stage: 'open' });
  });

  it('rejects a deal the API does not know with the API\'s own message; an API that cannot answer now (for the deal or its owner) is a 503 (HubSpot retries), nothing rejected', async () => {
    const body = JSON.stringify([change(501, 404404, 'dealstage', 'closedwon')]);
    const res = await post(body, signV3(body, NOW));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rejected: 1, results: [{ event: 'hubspot:501', status: 'rejected', detail: expect.stringContaining('HubSpot API /crm/v3/objects/deals/404404 answered 404: Object not found') }] });
    expect(await getDeal(h.db, '404404')).toBeNull();

    api.failNext = 503;
    const later = JSON.stringify([change(502, 9202, 'dealstage', 'closedwon')]);
    const outage = await post(later, signV3(later, NOW));
    expect(outage.status).toBe(503);
    expect(((await outage.json()) as { message: string }).message).toContain('HubSpot API /crm/v3/objects/deals/9202 answered 503');
    expect((await listCrmRejections(h.db)).map((r) => r.vendorEventId)).not.toContain('502');

    // The owner of a held deal looked up while the owners API fails: not "no rep", a 503.
    await storeDeal('9203');
    api.failNext = 502;
    const owner = JSON.stringify([change(503, 9203, 'hubspot_owner_id', '577')]);
    const ownerOutage = await post(owner, signV3(owner, NOW));
    expect(ownerOutage.status).toBe(503);
    expect(api.requests.map((r) => r.split('?')[0])).toContain('GET /crm/v3/owners/577');
    expect((await listCrmRejections(h.db)).map((r) => r.vendorEventId)).not.toContain('503');
    expect((await getDeal(h.db, '9203'))?.rep).toBe('r-ada');
  });

  describe('rejections: 4xx, nothing stored', () => {
    const body = JSON.stringify([change(901, 9001, 'dealstage', 'closedlost')]);
    let before: number;
    beforeEach(async () => { before = await countEvents(h.db); });
    const nothingStored = async () => {
      expect(await countEvents(h.db)).toBe(before);
      expect((await getDeal(h.db, '9001'))?.stage).toBe('won');
    };

    it('401 for a v3 timestamp older than 5 minutes, even when the signature is right', async () => {
      const res = await post(body, signV3(body, NOW - 5 * 60_000 - 1_000));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toBe('X-HubSpot-Request-Timestamp is 301 s old; requests older than 5 minutes are refused (replay protection)');
      await nothingStored();
    });

    it('401 for a signature made with another secret, or over another URI, or a changed body', async () => {
      const wrongSecret = createHmac('sha256', 'another-secret').update(`POST${h.config.publicUrl}/webhooks/hubspot${body}${NOW}`).digest('base64');
      const responses = await Promise.all([
        post(body, { 'X-HubSpot-Signature-v3': wrongSecret, 'X-HubSpot-Request-Timestamp': String(NOW) }),
        post(body, signV3(body, NOW, 'https://elsewhere.example/webhooks/hubspot')),
        post(body.replace('closedlost', 'closedwon'), signV3(body, NOW)),
        post(body, { 'X-HubSpot-Signature': 'f'.repeat(64), 'X-HubSpot-Signature-Version': 'v1' }),
      ]);
      expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401]);
      expect(((await responses[0].json()) as { message: string }).message).toMatch(/^X-HubSpot-Signature-v3 does not match/);
      await nothingStored();
    });

    it('401 without any signature', async () => {
      const res = await post(body, {});
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized', message: 'missing X-HubSpot-Signature-v3 header' });
      await nothingStored();
    });

    it('400 for a signed body that is not HubSpot events', async () => {
      for (const [bad, message] of [
        ['{"eventId": 1}', 'expected a JSON array of HubSpot events'],
        ['[{"eventId": 1, "subscriptionType": "deal.propertyChange", "objectId": 9001}]', 'event 0: missing occurredAt'],
        ['[{"eventId"', 'body is not valid JSON'],
        // Once answered 500: new Date(9e15).toISOString() threw while the event was stamped (past year 275760).
        [JSON.stringify([{ ...change(801, 9001, 'amount', '5'), occurredAt: 9e15 }]), 'event 0: occurredAt must be epoch milliseconds, got 9000000000000000'],
        [JSON.stringify([{ ...change(804, 9001, 'amount', '5'), occurredAt: 1e20 }]), 'event 0: occurredAt must be epoch milliseconds, got 100000000000000000000'],
        // Once stored as event "hubspot:[object Object]" and deal "[object Object]".
        [JSON.stringify([{ ...change(802, 9001, 'amount', '5'), eventId: { id: 1 } }]), 'event 0: eventId must be a number or a non-empty string, got {"id":1}'],
        [JSON.stringify([{ ...change(803, 9001, 'amount', '5'), objectId: ' ' }]), 'event 0: objectId must be a number or a non-empty string, got " "'],
        // On PostgreSQL not even its rejection could be recorded: a 500 HubSpot retried.
        [JSON.stringify([{ ...change(805, 9001, 'amount', '5'), eventId: 'e\u0000' }]), 'event 0: eventId must be a number or a non-empty string, got "e\\u0000"'],
      ]) {
        const res = await post(bad, signV3(bad, NOW));
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toContain(message);
      }
      await nothingStored();
    });

    it('413 for a body over WEBHOOK_BODY_LIMIT', async () => {
      const big = JSON.stringify(Array.from({ length: 100 }, (_, i) => change(1000 + i, 9001, 'description', 'x'.repeat(12_000))));
      const res = await post(big, signV3(big, NOW));
      expect(res.status).toBe(413);
      await nothingStored();
    });
  });
});

forEachDialect('POST /webhooks/hubspot, a batch with an older change', (target) => {
  let d: Harness;
  beforeAll(async () => {
    d = await startHarness({
      env: { HUBSPOT_APP_SECRET: APP_SECRET, DATABASE_URL: await target.fresh() },
      mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
      clock: () => NOW,
    });
    await upsertRep(d.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(d.db, 'r-ada', '501');
  });
  afterAll(async () => {
    await d?.close();
  });
  const send = (batch: object[]) => {
    const body = JSON.stringify(batch);
    return fetch(`${d.url}/webhooks/hubspot`, { method: 'POST', headers: { 'content-type': 'application/json', ...signV3(body, NOW - 1_000, `${d.config.publicUrl}/webhooks/hubspot`) }, body });
  };

  it('takes none of an older change into the later changes of the same deal in that batch', async () => {
    await upsertDeal(d.db, { id: '9008', rep: 'r-ada', name: 'Deal 9008', amount: '24000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: 'cio@globex.example' });
    expect((await send([change(801, 9008, 'amount', '31000.50', NOW - 30_000)])).status).toBe(200);
    // A late amount change (older than the one taken), a newer name, then two amount changes of
    // which the second is older than the first: only the name and the first of them are taken,
    // and the deal each writes (and is routed by) carries no older value.
    const res = await send([
      change(800, 9008, 'amount', '1000', NOW - 90_000),
      change(802, 9008, 'dealname', 'Renamed deal', NOW - 20_000),
      change(804, 9008, 'amount', '42000.00', NOW - 10_000),
      change(803, 9008, 'amount', '5.00', NOW - 15_000),
      change(805, 9008, 'dealstage', 'closedwon', NOW - 5_000),
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [
      { event: 'hubspot:800', status: 'older' },
      { event: 'hubspot:802', type: 'deal.updated', status: 'accepted' },
      { event: 'hubspot:804', type: 'deal.updated', status: 'accepted' },
      { event: 'hubspot:803', status: 'older' },
      { event: 'hubspot:805', type: 'deal.won', status: 'accepted' },
    ] });
    expect(await getDeal(d.db, '9008')).toMatchObject({ amount: '42000.00', name: 'Renamed deal', stage: 'won' });
    expect(await getEvent(d.db, 'hubspot:802')).toMatchObject({ deal: { amount: '31000.50', name: 'Renamed deal' } });
    expect(await getEvent(d.db, 'hubspot:805')).toMatchObject({ deal: { amount: '42000.00', stage: 'won' } });
  });
});
