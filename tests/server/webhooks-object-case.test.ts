// A mapping that writes the CRM's object name in another case than the CRM sends it
// (`objects: [opportunity]` for Salesforce's Opportunity): Salesforce's API names are not case
// sensitive and generic sources already matched them so, but the Salesforce and HubSpot connectors
// compared exactly and acknowledged every deal as "not taken", so the CRM dropped them. Real HTTP.
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { hubSpotDeliveries } from '../../src/connectors/hubspot.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

const envelope = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'crm-connectors', 'payloads', 'salesforce-outbound.xml'), 'utf8');
let h: Harness;
let rules: string;

beforeAll(async () => {
  rules = mkdtempSync(join(tmpdir(), 'salesflow-object-case-'));
  mkdirSync(join(rules, 'crm'));
  writeFileSync(join(rules, 'crm', 'salesforce.yaml'), 'preset: salesforce\ndeal:\n  objects: [opportunity]\n');
  writeFileSync(join(rules, 'crm', 'hubspot.yaml'), 'preset: hubspot\ndeal:\n  objects: [Deal]\n');
  const loaded = loadMappings([rules], rules);
  expect(loaded.diagnostics).toEqual([]);
  h = await startHarness({ env: { SALESFORCE_ORG_ID: '00D5g000004ABCD' }, mappings: loaded.mappings });
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-ada', '0055g00000Usr01AAA');
});
afterAll(async () => { await h?.close(); rmSync(rules, { recursive: true, force: true }); });

describe('object names in a mapping are matched without regard to case', () => {
  it('Salesforce: objects: [opportunity] takes the Opportunity notifications of a message', async () => {
    const res = await fetch(`${h.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body: envelope });
    expect(res.status).toBe(200);
    expect(await getDeal(h.db, '0065g00000Opp01AAA')).toMatchObject({ name: 'Globex platform', stage: 'won', rep: 'r-ada' });
  });

  it('HubSpot: objects: [Deal] takes deal.propertyChange events', () => {
    const mapping = loadMappings([rules], rules).mappings.find((m) => m.name === 'hubspot')!;
    const event = { eventId: 1, subscriptionId: 1, portalId: 1, appId: 1, occurredAt: 1772359200000, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: 9, propertyName: 'amount', propertyValue: '10.00', changeSource: 'CRM_UI' };
    const found = hubSpotDeliveries(mapping, [event], null);
    expect(found.skipped).toEqual([]);
    expect(found.deliveries.map((d) => [d.entity, d.recordId])).toEqual([['deal', '9']]);
  });
});
