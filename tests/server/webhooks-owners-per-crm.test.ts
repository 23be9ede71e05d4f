// A team on two CRMs at once (HubSpot for marketing-sourced deals, Salesforce for the rest), over
// real HTTP on both data sources: each CRM's owner id of a rep is kept per CRM, so HubSpot linking
// its owner id to a rep (by the owner's email, through the API) leaves the rep's Salesforce user id
// in place, and Salesforce changes of that rep's deals are still taken.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importCrmCsv } from '../../src/connectors/csv-import.js';
import { builtInMapping } from '../../src/connectors/mapping/load.js';
import { getRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { type HubSpotStandIn, startHubSpotStandIn } from '../connectors/support/hubspot-standin.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, startHarness } from './harness.js';

const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = Date.parse('2026-03-02T12:00:00Z');
const envelope = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'crm-connectors', 'payloads', 'salesforce-outbound.xml'), 'utf8');

forEachDialect('a rep linked in Salesforce and in HubSpot', (target) => {
  let h: Harness;
  let api: HubSpotStandIn;
  beforeAll(async () => {
    api = await startHubSpotStandIn();
    h = await startHarness({
      env: { HUBSPOT_APP_SECRET: APP_SECRET, HUBSPOT_API_TOKEN: api.token, HUBSPOT_API_URL: api.url, SALESFORCE_ORG_ID: '00D5g000004ABCD', DATABASE_URL: await target.fresh() },
      clock: () => NOW,
    });
    await upsertRep(h.db, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  });
  afterAll(async () => {
    await h?.close();
    await api?.close();
  });

  const hubspot = (events: object[]) => {
    const body = JSON.stringify(events);
    const timestamp = NOW - 1_000;
    const signature = createHmac('sha256', APP_SECRET).update(`POST${h.config.publicUrl}/webhooks/hubspot${body}${timestamp}`).digest('base64');
    return fetch(`${h.url}/webhooks/hubspot`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) }, body });
  };
  const salesforce = (notificationId: string, opportunity: string, stage: string, modified: string) => fetch(`${h.url}/webhooks/salesforce`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' },
    body: envelope.replace(/<Notification>[\s\S]*<\/Notification>/, `<Notification><Id>${notificationId}</Id>
      <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
       <sf:Id>${opportunity}</sf:Id><sf:Amount>12000</sf:Amount><sf:Name>Globex renewal</sf:Name>
       <sf:LastModifiedDate>${modified}</sf:LastModifiedDate><sf:OwnerId>0055g00000Usr01AAA</sf:OwnerId>
       <sf:StageName>${stage}</sf:StageName></sObject></Notification>`),
  });

  it('takes a Salesforce change of the rep\'s deal after HubSpot linked its owner id to the rep', async () => {
    // The Salesforce users export links Ada's user id.
    const users = '"User ID","First Name","Last Name","Email","Role"\n"0055g00000Usr01AAA","Ada","Byron","ada@acme.example","AE"\n';
    expect(await importCrmCsv(h.db, builtInMapping('salesforce'), users, 'users.csv')).toMatchObject({ ok: true, kind: 'reps', updated: 1 });
    const first = await salesforce('04l5g00000OwnA1AAA', '0065g00000Own01AAA', 'Prospecting', '2026-03-01T09:00:00.000Z');
    expect(await first.text()).toContain('<Ack>true</Ack>');
    expect(await getDeal(h.db, '0065g00000Own01AAA')).toMatchObject({ rep: 'r-ada', stage: 'open' });

    // A marketing-sourced HubSpot deal of Ada's: HubSpot's owner 502 is linked to her by email.
    api.objects.set('deals/7001', { dealname: 'Webinar lead deal', amount: '5000', dealstage: 'appointmentscheduled', closedate: '', hubspot_owner_id: '502', deal_currency_code: 'USD' });
    api.owners.set('502', { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Byron' });
    const linked = await hubspot([{ eventId: 9101, subscriptionId: 1, portalId: 62515, appId: 54321, occurredAt: NOW - 60_000, subscriptionType: 'deal.creation', attemptNumber: 0, objectId: 7001, changeSource: 'CRM' }]);
    expect(linked.status).toBe(200);
    expect(await linked.json()).toMatchObject({ results: [{ event: 'hubspot:9101', status: 'accepted' }] });
    expect(await getDeal(h.db, '7001')).toMatchObject({ rep: 'r-ada' });
    expect(await getRepCrmId(h.db, 'r-ada', 'hubspot')).toBe('502');
    expect(await getRepCrmId(h.db, 'r-ada', 'salesforce')).toBe('0055g00000Usr01AAA');

    // Salesforce's change of Ada's opportunity is taken (before: refused, owner no rep's crm_id).
    const won = await salesforce('04l5g00000OwnA2AAA', '0065g00000Own01AAA', 'Closed Won', '2026-03-02T09:00:00.000Z');
    expect(won.status).toBe(200);
    expect(await won.text()).toContain('<Ack>true</Ack>');
    expect(await getDeal(h.db, '0065g00000Own01AAA')).toMatchObject({ rep: 'r-ada', stage: 'won' });

    // And HubSpot's next change of its deal finds Ada by the owner id it linked, without the API.
    api.requests.length = 0;
    const next = await hubspot([{ eventId: 9102, subscriptionId: 1, portalId: 62515, appId: 54321, occurredAt: NOW - 30_000, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: 7001, propertyName: 'hubspot_owner_id', propertyValue: '502', changeSource: 'CRM' }]);
    expect(await next.json()).toMatchObject({ results: [{ event: 'hubspot:9102', status: 'accepted' }] });
    expect(api.requests.filter((r) => r.startsWith('GET /crm/v3/owners'))).toEqual([]);
  });
});
