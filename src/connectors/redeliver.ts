// A rejected CRM change (src/data/crm-rejections.ts) as a delivery again, rebuilt from the change
// as the CRM sent it by the same connector code as its webhook, through the mapping in force now:
// what `salesflow crm retry` prepares and takes once the cause is fixed.
import type { CrmRejection } from '../data/crm-rejections.js';
import type { Delivery, SkippedChange } from './deliveries.js';
import { type HubSpotApi, hubSpotDeliveries, parseHubSpotBatch } from './hubspot.js';
import { jsonDeliveries } from './json-records.js';
import type { CrmMapping } from './mapping/types.js';
import { salesforceDeliveries } from './salesforce.js';

/**
 * The delivery; or `ignored`: the mapping now takes nothing from the change (nothing is missing any
 * more); or `error`: it cannot be read as one of its CRM's changes under this mapping.
 */
export type Redelivery = { delivery: Delivery } | { ignored: string } | { error: string };

export function redelivery(mapping: CrmMapping, rejection: CrmRejection, hubspotApi: HubSpotApi | null): Redelivery {
  const found = connectorDeliveries(mapping, rejection, hubspotApi);
  if ('error' in found) return found;
  if (found.skipped.length > 0) return { ignored: found.skipped[0].detail };
  const delivery = found.deliveries[0];
  // Recorded before an event id carried the record's id (an envelope's id) or the digest of the
  // record's values (an id of record and last-modified time), src/connectors/json-records.ts: the
  // same change, still known by the id it was recorded under.
  if (delivery && delivery.vendorEventId !== rejection.vendorEventId && earlierForms(delivery.vendorEventId, delivery.recordId).includes(rejection.vendorEventId)) {
    return { delivery: { ...delivery, vendorEventId: rejection.vendorEventId } };
  }
  // Another id would be another change (a mapping whose webhook.event_id changed since).
  if (!delivery || delivery.vendorEventId !== rejection.vendorEventId) {
    return { error: `the change now reads as delivery ${delivery?.vendorEventId ?? '(none)'}, not ${rejection.vendorEventId}: webhook.event_id in ${mapping.file} changed since` };
  }
  return { delivery };
}

function connectorDeliveries(mapping: CrmMapping, rejection: CrmRejection, hubspotApi: HubSpotApi | null): { deliveries: Delivery[]; skipped: SkippedChange[] } | { error: string } {
  // By the mapping's preset, not the source's name: a file rules/crm/acme-hubspot.yaml with
  // `preset: hubspot` serves /webhooks/hubspot, and its changes are recorded as source acme-hubspot.
  if (mapping.preset === 'hubspot') {
    const batch = parseHubSpotBatch(JSON.stringify([rejection.raw]));
    return batch.ok ? hubSpotDeliveries(mapping, batch.events, hubspotApi) : { error: batch.message };
  }
  if (mapping.preset === 'salesforce') {
    const raw = rejection.raw as { notification?: unknown; object?: unknown; fields?: unknown } | null;
    if (typeof raw?.notification !== 'string' || typeof raw.object !== 'string' || typeof raw.fields !== 'object' || raw.fields === null) {
      return { error: 'not a Salesforce notification as salesflow records one' };
    }
    const notification = { id: raw.notification, object: raw.object, fields: raw.fields as Record<string, unknown> };
    const found = salesforceDeliveries(mapping, { organizationId: '', notifications: [notification] }, rejection.rejectedAt);
    return found.ok ? found : { error: found.message };
  }
  const found = jsonDeliveries(mapping, rejection.raw, rejection.rejectedAt);
  return found.ok ? found.value : { error: found.message };
}

/** The ids this delivery would have had before the record id and the digest were added to it. */
function earlierForms(id: string, recordId: string): string[] {
  const withoutDigest = /:[0-9a-f]{12}$/.test(id) ? id.slice(0, -13) : id;
  const withoutRecord = (text: string) => (text.endsWith(`:${recordId}`) ? text.slice(0, -recordId.length - 1) : text);
  return [withoutDigest, withoutRecord(withoutDigest)];
}
