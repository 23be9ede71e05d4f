// `salesflow crm retry` rebuilds a rejected change from what was recorded; a change recorded before
// its event id gained the record's id (an envelope's id) or the digest of its values (Zoho's
// id + Modified_Time) is the same change, taken under the id it was recorded with.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInMapping, loadMappings } from '../../src/connectors/mapping/load.js';
import { redelivery } from '../../src/connectors/redeliver.js';
import type { CrmRejection } from '../../src/data/crm-rejections.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const fxiaoke = loadMappings([join(fixtures, 'rules')], fixtures).mappings.find((m) => m.name === 'fxiaoke')!;
const envelope = { ...fxiaoke, webhook: { ...fxiaoke.webhook, eventId: ['event_id'] } };

const rejection = (source: string, vendorEventId: string, recordId: string, raw: unknown): CrmRejection =>
  ({ source, vendorEventId, entity: 'deal', recordId, message: 'owner unknown', raw, rejectedAt: '2026-03-01T10:00:00.000Z' });

describe('redelivery of a change recorded under an earlier form of its event id', () => {
  it('an envelope id without the record id', () => {
    const raw = { event_id: 'evt-9', data: [{ object_api_name: 'NewOpportunityObj', _id: 'opp-9', amount: '1.00', sales_stage: 'win', owner: 'x' }] };
    const again = redelivery(envelope, rejection('envelope', 'evt-9', 'opp-9', raw), null);
    expect(again).toMatchObject({ delivery: { vendorEventId: 'evt-9', recordId: 'opp-9' } });
  });

  it('a Zoho id + Modified_Time without the digest of the values', () => {
    const raw = { module: 'Deals', id: '4150868000001', Amount: '1.00', Stage: 'Closed Won', Owner: 'x', Modified_Time: '2026-03-01T10:00:00+05:30' };
    const again = redelivery(builtInMapping('zoho'), rejection('zoho', '4150868000001:2026-03-01T10:00:00+05:30', '4150868000001', raw), null);
    expect(again).toMatchObject({ delivery: { vendorEventId: '4150868000001:2026-03-01T10:00:00+05:30' } });
  });

  it('another id is still another change', () => {
    const raw = { module: 'Deals', id: '4150868000001', Amount: '1.00', Stage: 'Closed Won', Owner: 'x', Modified_Time: '2026-03-01T10:00:00+05:30' };
    const again = redelivery(builtInMapping('zoho'), rejection('zoho', '4150868000001:2026-02-01T10:00:00+05:30', '4150868000001', raw), null);
    expect(again).toMatchObject({ error: expect.stringContaining('webhook.event_id in (built-in zoho preset) changed since') });
  });
});

describe('redelivery through a preset mapping in a file of another name (rules/crm/acme-hubspot.yaml, preset: hubspot)', () => {
  // The webhook records its rejections under the mapping's name; the retry once chose the
  // connector by that name, read a HubSpot event as a generic JSON record, and the change stayed
  // rejected for good ("no object name").
  it('a HubSpot change is read as a HubSpot event', () => {
    const mapping = { ...builtInMapping('hubspot'), name: 'acme-hubspot', file: 'rules/crm/acme-hubspot.yaml' };
    const raw = { eventId: 701, subscriptionId: 1, portalId: 62515, appId: 1, occurredAt: 1772359200000, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: 9701, propertyName: 'amount', propertyValue: '1200.00', changeSource: 'CRM_UI' };
    const again = redelivery(mapping, rejection('acme-hubspot', '701', '9701', raw), null);
    expect(again).toMatchObject({ delivery: { vendorEventId: '701', recordId: '9701', entity: 'deal' } });
  });

  it('a Salesforce notification is read as one', () => {
    const mapping = { ...builtInMapping('salesforce'), name: 'sfdc', file: 'rules/crm/sfdc.yaml' };
    const raw = { notification: '04l5g000000AAAAAAA', object: 'Opportunity', fields: { Id: '0065g00000AAAAAAAA', Name: 'Acme', Amount: '10.00', StageName: 'Closed Won', OwnerId: '0055g000001AAAAAAA', LastModifiedDate: '2026-03-01T10:00:00.000Z' } };
    const again = redelivery(mapping, rejection('sfdc', '04l5g000000AAAAAAA', '0065g00000AAAAAAAA', raw), null);
    expect(again).toMatchObject({ delivery: { vendorEventId: '04l5g000000AAAAAAA', recordId: '0065g00000AAAAAAAA' } });
  });
});
