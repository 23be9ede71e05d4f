// CRM webhooks about deals without an amount, over real HTTP (HubSpot with a stand-in CRM API,
// Salesforce outbound messages, Zoho): a HubSpot deal.creation without one (the normal case) is
// taken and stored at 0, said in the answer; a move to won without an amount is rejected (recorded,
// answered as rejected, naming deal.missing_amount) and stores nothing of the deal, also when the
// deal is held with a stand-in 0; the
// amount entered afterwards brings the won stage with it; a mapping that skips such deals has the
// delivery acknowledged as ignored.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCrmCsv } from '../../src/connectors/csv-import.js';
import { findMapping, loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type HubSpotStandIn, startHubSpotStandIn } from '../connectors/support/hubspot-standin.js';
import { type Harness, startHarness } from './harness.js';
import { postHubspot } from '../support/hubspot.js';

const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const ZOHO_SECRET = 'zoho-shared-secret-0123456789';
const NOW = Date.parse('2026-03-02T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const envelope = readFileSync(join(fixtures, 'payloads', 'salesforce-outbound.xml'), 'utf8');

let h: Harness;
let api: HubSpotStandIn;

beforeAll(async () => {
  api = await startHubSpotStandIn();
  h = await startHarness({
    env: {
      HUBSPOT_APP_SECRET: APP_SECRET, HUBSPOT_API_TOKEN: api.token, HUBSPOT_API_URL: api.url,
      SALESFORCE_ORG_ID: '00D5g000004ABCD', ZOHO_WEBHOOK_SECRET: ZOHO_SECRET,
    },
    mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
    clock: () => NOW,
  });
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-ada', '501');
  await upsertRep(h.db, { id: 'r-sf', name: 'Sam', email: 'sam@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-sf', '0055g00000Usr01AAA');
  await upsertRep(h.db, { id: 'r-wu', name: 'Wu Fang', email: 'wu@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-wu', '4150868000000225013');
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});

function hubspot(events: object[]) {
  return postHubspot({ url: h.url, publicUrl: h.config.publicUrl }, APP_SECRET, events, NOW);
}

const hubspotEvent = (eventId: number, objectId: number, subscriptionType: string, occurredAt: number, property?: [string, string]) => ({
  eventId, subscriptionId: 1, portalId: 62515, appId: 54321, occurredAt, subscriptionType, attemptNumber: 0, objectId, changeSource: 'CRM',
  ...(property ? { propertyName: property[0], propertyValue: property[1] } : {}),
});

describe('HubSpot deals without an amount', () => {
  it('takes a deal.creation without an amount, stores it at 0 and says so; the stage moving to won without one is refused until the amount comes', async () => {
    // The deal as HubSpot's API gives it right after creation: no amount yet.
    api.objects.set('deals/8001', { dealname: 'Hooli pilot', amount: null, dealstage: 'appointmentscheduled', hubspot_owner_id: '501', deal_currency_code: 'USD' });
    const created = await hubspot([hubspotEvent(8101, 8001, 'deal.creation', NOW - 60_000)]);
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ results: [{
      event: 'hubspot:8101', type: 'deal.created', status: 'accepted',
      detail: 'no amount in the CRM: stored with amount 0 until it has one (deal.missing_amount)',
    }] });
    expect(await getDeal(h.db, '8001')).toMatchObject({ amount: '0', stage: 'open', rep: 'r-ada' });

    // Closed won in HubSpot, the amount still empty: HubSpot sends the stage change alone.
    api.objects.set('deals/8001', { ...api.objects.get('deals/8001')!, dealstage: 'closedwon' });
    const before = await countEvents(h.db);
    const won = await hubspot([hubspotEvent(8102, 8001, 'deal.propertyChange', NOW - 50_000, ['dealstage', 'closedwon'])]);
    expect(won.status).toBe(200);
    const refusal = (await won.json()) as { results: { status: string; detail: string }[] };
    expect(refusal.results).toEqual([{ event: 'hubspot:8102', status: 'rejected', detail: 'amount: no amount: a won deal without an amount would pay no commission and count no revenue. ' +
      'Enter the amount in the CRM, or set deal.missing_amount: { won: zero } (store it with amount 0) or { won: skip } (leave it out) in rules/crm/hubspot.yaml' }]);
    expect(await countEvents(h.db)).toBe(before);
    expect(await getDeal(h.db, '8001')).toMatchObject({ amount: '0', stage: 'open' });

    // The rep enters the amount: its change alone arrives, and the full record (read because the
    // deal is held without an amount) brings the stage refused before.
    api.objects.set('deals/8001', { ...api.objects.get('deals/8001')!, amount: '18250.75' });
    const amount = await hubspot([hubspotEvent(8103, 8001, 'deal.propertyChange', NOW - 40_000, ['amount', '18250.75'])]);
    expect(amount.status).toBe(200);
    expect(await amount.json()).toMatchObject({ results: [{ event: 'hubspot:8103', type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, '8001')).toMatchObject({ amount: '18250.75', stage: 'won' });
  });

  it('a deal imported from an export without an amount is held as such: won in HubSpot without one is refused; an amount of 0 the CRM gives is taken', async () => {
    const hubspotMapping = findMapping(loadMappings([join(fixtures, 'rules')], fixtures).mappings, 'hubspot')!;
    const imported = await importCrmCsv(h.db, hubspotMapping, '"Record ID","Deal Name","Deal Stage","Deal owner","Amount"\n"8301","Soylent","Appointment Scheduled","ada@acme.example",""\n"8302","Tyrell","Appointment Scheduled","ada@acme.example",""\n', 'deals.csv');
    expect(imported).toMatchObject({ ok: true, inserted: 2, warnings: [expect.stringMatching(/^2 deals have no Amount: stored with amount 0/)] });
    api.requests.length = 0;
    const won = await hubspot([hubspotEvent(8311, 8301, 'deal.propertyChange', NOW - 20_000, ['dealstage', 'closedwon'])]);
    expect(won.status).toBe(200);
    expect(await won.json()).toMatchObject({ results: [{ event: 'hubspot:8311', status: 'rejected', detail: expect.stringContaining('amount: no amount: a won deal') }] });
    expect(await getDeal(h.db, '8301')).toMatchObject({ amount: '0', stage: 'open' });

    // A free pilot: HubSpot says 0 itself, and then 0 is the amount.
    expect((await hubspot([hubspotEvent(8321, 8302, 'deal.propertyChange', NOW - 20_000, ['amount', '0'])])).status).toBe(200);
    const free = await hubspot([hubspotEvent(8322, 8302, 'deal.propertyChange', NOW - 10_000, ['dealstage', 'closedwon'])]);
    expect(free.status).toBe(200);
    expect(await free.json()).toMatchObject({ results: [{ type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, '8302')).toMatchObject({ amount: '0', stage: 'won' });
  });

  it('a deal created with an amount needs no API call for later changes, and its amount is kept', async () => {
    api.objects.set('deals/8002', { dealname: 'Pied Piper', amount: '5000', dealstage: 'appointmentscheduled', hubspot_owner_id: '501' });
    expect((await hubspot([hubspotEvent(8201, 8002, 'deal.creation', NOW - 60_000)])).status).toBe(200);
    api.requests.length = 0;
    const won = await hubspot([hubspotEvent(8202, 8002, 'deal.propertyChange', NOW - 30_000, ['dealstage', 'closedwon'])]);
    expect(await won.json()).toMatchObject({ results: [{ type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, '8002')).toMatchObject({ amount: '5000', stage: 'won' });
    expect(api.requests).toEqual([]);
  });
});

describe('Salesforce and Zoho deals without an amount', () => {
  /** One Opportunity notification; `amount` null sends Amount as Salesforce sends an empty field (xsi:nil). */
  function opportunity(notification: string, id: string, stage: string, amount: string | null, modified: string): string {
    const amountField = amount === null ? '<sf:Amount xsi:nil="true"/>' : `<sf:Amount>${amount}</sf:Amount>`;
    return envelope.replace(/<Notification>[\s\S]*<\/Notification>/, `<Notification><Id>${notification}</Id>
      <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
       <sf:Id>${id}</sf:Id>${amountField}<sf:Name>Wayne Enterprises</sf:Name>
       <sf:LastModifiedDate>${modified}</sf:LastModifiedDate><sf:OwnerId>0055g00000Usr01AAA</sf:OwnerId>
       <sf:StageName>${stage}</sf:StageName></sObject></Notification>`);
  }
  const salesforce = (body: string) => fetch(`${h.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body });

  it('Salesforce: an open opportunity without an amount is acknowledged and stored at 0; a won one is acknowledged (it would block the queue) and recorded as rejected, naming the setting', async () => {
    const open = await salesforce(opportunity('04l5g00000Amt01AAV', '0065g00000Amt01AAA', 'Prospecting', null, '2026-03-01T10:00:00.000Z'));
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('<Ack>true</Ack>');
    expect(await getDeal(h.db, '0065g00000Amt01AAA')).toMatchObject({ amount: '0', stage: 'open', rep: 'r-sf' });

    const won = await salesforce(opportunity('04l5g00000Amt02AAV', '0065g00000Amt02AAA', 'Closed Won', null, '2026-03-01T10:00:00.000Z'));
    expect(won.status).toBe(200);
    expect(await won.text()).toContain('<Ack>true</Ack>');
    const [recorded] = await listCrmRejections(h.db, { source: 'salesforce' });
    expect(recorded).toMatchObject({ vendorEventId: '04l5g00000Amt02AAV', entity: 'deal', recordId: '0065g00000Amt02AAA' });
    expect(recorded.message).toContain('Amount: no amount: a won deal without an amount would pay no commission');
    expect(recorded.message).toContain('set deal.missing_amount: { won: zero } (store it with amount 0) or { won: skip } (leave it out) in rules/crm/salesforce.yaml, with preset: salesforce');
    expect(await getDeal(h.db, '0065g00000Amt02AAA')).toBeNull();
  });

  it('Zoho: a deal without an amount is taken at 0 (empty form parameter), and the amount sent later replaces it', async () => {
    const send = (amount: string, stage: string, modified: string) => fetch(`${h.url}/webhooks/zoho`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Salesflow-Token': ZOHO_SECRET },
      body: new URLSearchParams({ module: 'Deals', id: '4150868000009990001', Deal_Name: 'Oscorp', Amount: amount, Stage: stage, Owner: '4150868000000225013', Modified_Time: modified }).toString(),
    });
    const first = await send('', 'Qualification', '2026-03-01T10:00:00+05:30');
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ results: [{ type: 'deal.created', detail: 'no amount in the CRM: stored with amount 0 until it has one (deal.missing_amount)' }] });
    expect(await getDeal(h.db, '4150868000009990001')).toMatchObject({ amount: '0', stage: 'open' });
    const closed = await send('99999999999.999999', 'Closed Won', '2026-03-01T11:00:00+05:30');
    const taken = (await closed.json()) as { results: { event: string }[] };
    expect(taken).toMatchObject({ results: [{ type: 'deal.won', status: 'accepted', event: expect.stringMatching(/^zoho:4150868000009990001:2026-03-01T11:00:00\+05:30:[0-9a-f]{12}$/) }] });
    expect(await getDeal(h.db, '4150868000009990001')).toMatchObject({ amount: '99999999999.999999', stage: 'won' });
    expect((await getEvent(h.db, taken.results[0].event))?.type).toBe('deal.won');
  });
});

describe('a mapping that skips won deals without an amount', () => {
  let skipping: Harness;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-missing-amount-'));
    mkdirSync(join(dir, 'rules', 'crm'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'crm', 'zoho.yaml'), 'preset: zoho\ndeal:\n  missing_amount: { won: skip }\n');
    skipping = await startHarness({ env: { ZOHO_WEBHOOK_SECRET: ZOHO_SECRET }, mappings: loadMappings([join(dir, 'rules')], dir).mappings });
    rmSync(dir, { recursive: true, force: true });
    await upsertRep(skipping.db, { id: 'r-wu', name: 'Wu Fang', email: 'wu@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(skipping.db, 'r-wu', '4150868000000225013');
  });
  afterAll(async () => { await skipping?.close(); });

  it('acknowledges the delivery as ignored, saying why, and stores and routes nothing', async () => {
    const res = await fetch(`${skipping.url}/webhooks/zoho`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Salesflow-Token': ZOHO_SECRET },
      body: JSON.stringify({ module: 'Deals', id: '4150868000009990777', Deal_Name: 'Cyberdyne', Amount: null, Stage: 'Closed Won', Owner: '4150868000000225013', Modified_Time: '2026-03-01T10:00:00+05:30' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{
      event: expect.stringMatching(/^zoho:4150868000009990777:2026-03-01T10:00:00\+05:30:[0-9a-f]{12}$/), status: 'ignored',
      detail: 'no amount: won deals without one are left out (deal.missing_amount in rules/crm/zoho.yaml)',
    }] });
    expect(await getDeal(skipping.db, '4150868000009990777')).toBeNull();
    expect(await countEvents(skipping.db)).toBe(0);
  });
});
