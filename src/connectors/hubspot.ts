// HubSpot: request signatures as HubSpot documents them (v3 with a 5-minute timestamp window; v1
// and v2 for apps that still send those), the webhook's batched event array → deliveries, and
// the CRM API client that supplies the rest of a record a property-change event does not carry.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseJsonExact } from '../data/exact-json.js';
import type { Delivery, SkippedChange } from './deliveries.js';
import type { CrmMapping } from './mapping/types.js';
import type { CrmStore } from './store.js';
import { entityOf, type FieldReader, mappingFile, type OwnerLookup } from './translate.js';

export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The full URI HubSpot called: PUBLIC_URL + path + query. */
  uri: string;
  body: Buffer;
  header(name: string): string | undefined;
}

export type Verdict = { ok: true } | { ok: false; message: string };

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The escapes HubSpot's v3 validation guide lists as decoded in the signed URI (`%3A` → `:` ...),
 * and only those: `%20`, `%26` or `%3D` stay as sent, or a query value could change meaning.
 */
const V3_DECODED: Record<string, string> = {
  '3A': ':', '2F': '/', '3F': '?', '40': '@', '21': '!', '24': '$', '27': "'", '28': '(', '29': ')', '2A': '*', '2C': ',', '3B': ';',
};

export function decodeForV3(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (_, hex: string) => V3_DECODED[hex.toUpperCase()]);
}

/** Checks the newest signature the request carries (v3, else v1/v2 per X-HubSpot-Signature-Version). */
export function verifyHubSpot(request: SignedRequest, secret: string, now: number): Verdict {
  const v3 = request.header('x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const timestamp = request.header('x-hubspot-request-timestamp');
    if (!timestamp || !/^\d+$/.test(timestamp)) return { ok: false, message: 'missing or malformed X-HubSpot-Request-Timestamp header (epoch milliseconds)' };
    const age = now - Number(timestamp);
    if (age > HUBSPOT_MAX_AGE_MS) return { ok: false, message: `X-HubSpot-Request-Timestamp is ${Math.round(age / 1000)} s old; requests older than 5 minutes are refused (replay protection)` };
    if (age < -HUBSPOT_MAX_AGE_MS) return { ok: false, message: 'X-HubSpot-Request-Timestamp is more than 5 minutes in the future; check the server clock' };
    const given = Buffer.from(v3, 'base64');
    const signs = (uri: string) => sameBytes(given, createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`${request.method}${uri}`, 'utf8'), request.body, Buffer.from(timestamp, 'utf8')]))
      .digest());
    // HubSpot signs the URI with some percent-escapes decoded (a Target URL with `?portal=a%3Ab` is
    // signed as `?portal=a:b`); the URI as received is tried too, for a URL without any of them.
    const decoded = decodeForV3(request.uri);
    if (!signs(request.uri) && (decoded === request.uri || !signs(decoded))) {
      return { ok: false, message: `X-HubSpot-Signature-v3 does not match (signed URI ${request.uri}: PUBLIC_URL must be the address HubSpot calls; secret: HUBSPOT_APP_SECRET must be the app's client secret)` };
    }
    return { ok: true };
  }
  const legacy = request.header('x-hubspot-signature');
  if (legacy === undefined) return { ok: false, message: 'missing X-HubSpot-Signature-v3 header' };
  const version = request.header('x-hubspot-signature-version') ?? 'v1';
  const source = version === 'v2'
    ? Buffer.concat([Buffer.from(`${secret}${request.method}${request.uri}`, 'utf8'), request.body])
    : version === 'v1' ? Buffer.concat([Buffer.from(secret, 'utf8'), request.body]) : null;
  if (!source) return { ok: false, message: `unknown X-HubSpot-Signature-Version "${version}" (expected v1, v2 or the v3 header)` };
  const expected = createHash('sha256').update(source).digest();
  if (!/^[0-9a-fA-F]{64}$/.test(legacy) || !sameBytes(Buffer.from(legacy, 'hex'), expected)) {
    return { ok: false, message: `X-HubSpot-Signature (${version}) does not match the body` };
  }
  return { ok: true };
}

/** One event of HubSpot's webhook array, as documented. */
export interface HubSpotEvent {
  eventId: number | string;
  subscriptionType: string;
  objectId: number | string;
  occurredAt: number;
  propertyName?: string;
  propertyValue?: unknown;
  /** Generic subscriptions (`object.creation`, `object.propertyChange`) name the object by type id. */
  objectTypeId?: string;
  /** Merges: the record kept, the records merged into it, and the record the merge made (when it made one). */
  primaryObjectId?: number | string;
  mergedObjectIds?: (number | string)[];
  newObjectId?: number | string;
  /** Where the change was made (`CRM_UI`, `API`, ...) and by whom (`userId:123` for a user in the UI). */
  changeSource?: string;
  sourceId?: string;
}

/**
 * HubSpot's ids of its standard objects, as generic webhook subscriptions (the only kind an app on
 * the current developer platform has) send them in `objectTypeId`; a custom object's id (`2-1234`)
 * stands for itself, so a mapping lists it in `objects`.
 */
const OBJECT_TYPE_NAMES: Record<string, string> = { '0-1': 'contact', '0-2': 'company', '0-3': 'deal', '0-5': 'ticket', '0-136': 'lead' };

/** The object and change of an event: `deal.propertyChange` (legacy) and `object.propertyChange` + `0-3` alike. */
export function hubSpotObject(event: HubSpotEvent): { object: string; change: string } {
  const [object, change] = event.subscriptionType.split('.');
  if (object !== 'object') return { object, change };
  const typeId = String(event.objectTypeId);
  return { object: OBJECT_TYPE_NAMES[typeId] ?? typeId, change };
}

export type BatchParse = { ok: true; events: HubSpotEvent[] } | { ok: false; message: string };

export function parseHubSpotBatch(text: string): BatchParse {
  let json: unknown;
  try {
    json = parseJsonExact(text);
  } catch (err) {
    return { ok: false, message: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(json)) return { ok: false, message: 'expected a JSON array of HubSpot events' };
  if (json.length > 100) return { ok: false, message: `${json.length} events in one request; HubSpot sends at most 100` };
  for (const [i, e] of json.entries()) {
    const event = e as Partial<HubSpotEvent> | null;
    const missing = ['eventId', 'subscriptionType', 'objectId', 'occurredAt'].filter((k) => event?.[k as keyof HubSpotEvent] === undefined || event?.[k as keyof HubSpotEvent] === null);
    if (missing.length) return { ok: false, message: `event ${i}: missing ${missing.join(', ')}` };
    // A time outside what a Date can hold (1e20) would fail later, when the event is stamped, as a 500.
    if (typeof event!.occurredAt !== 'number' || !Number.isSafeInteger(event!.occurredAt) || Number.isNaN(new Date(event!.occurredAt).getTime())) {
      return { ok: false, message: `event ${i}: occurredAt must be epoch milliseconds, got ${JSON.stringify(event!.occurredAt)}` };
    }
    // Ids become salesflow's event and record ids: an object or an empty string would be stored as "[object Object]" or "".
    for (const key of ['eventId', 'objectId'] as const) {
      const id = event![key];
      // NUL: PostgreSQL cannot store it, so not even the rejection of the change could be recorded.
      if (!((typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id.trim() !== '' && !id.includes('\u0000')))) {
        return { ok: false, message: `event ${i}: ${key} must be a number or a non-empty string, got ${JSON.stringify(id)}` };
      }
    }
    // A merge's ids become record ids to remove: each must be an id, as objectId is.
    const mergeIds = [event!.primaryObjectId, event!.newObjectId, ...(Array.isArray(event!.mergedObjectIds) ? event!.mergedObjectIds : [])];
    if ((event!.mergedObjectIds !== undefined && event!.mergedObjectIds !== null && !Array.isArray(event!.mergedObjectIds)) ||
      mergeIds.some((id) => id !== undefined && id !== null && !((typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id.trim() !== '' && !id.includes('\u0000'))))) {
      return { ok: false, message: `event ${i}: primaryObjectId, newObjectId and mergedObjectIds must be ids (numbers or non-empty strings), got ${JSON.stringify({ primaryObjectId: event!.primaryObjectId, newObjectId: event!.newObjectId, mergedObjectIds: event!.mergedObjectIds })}` };
    }
    if (!/^[a-z_]+\.[a-zA-Z_]+$/.test(String(event!.subscriptionType))) return { ok: false, message: `event ${i}: subscriptionType "${event!.subscriptionType}" is not object.change` };
    if (String(event!.subscriptionType).startsWith('object.') && !(typeof event!.objectTypeId === 'string' && /^\d+-\d+$/.test(event!.objectTypeId))) {
      return { ok: false, message: `event ${i}: ${event!.subscriptionType} needs objectTypeId (like "0-3" for deals), got ${JSON.stringify(event!.objectTypeId ?? null)}` };
    }
  }
  return { ok: true, events: json as HubSpotEvent[] };
}

/** The HubSpot API could not answer now (unreachable, rate-limited, failing): HubSpot should send the batch again. */
export class HubSpotUnavailable extends Error {}

/** Unreachable (0), rate-limited or a server error: worth asking again later. */
const transient = (status: number) => status === 0 || status === 429 || status >= 500;

/** HubSpot CRM API v3 (objects and owners), against a configurable base URL (HUBSPOT_API_URL). */
export class HubSpotApi {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  private async get(path: string): Promise<{ ok: true; json: unknown } | { ok: false; status: number; message: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      return { ok: false, status: 0, message: `HubSpot API unreachable at ${this.baseUrl}: ${(err as Error).message}` };
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const detail = (() => { try { return (JSON.parse(text) as { message?: string }).message ?? text; } catch { return text; } })();
      return { ok: false, status: res.status, message: `HubSpot API ${path.split('?')[0]} answered ${res.status}${detail ? `: ${detail.slice(0, 200)}` : ''}` };
    }
    return { ok: true, json: await res.json() };
  }

  /** GET /crm/v3/objects/{type}/{id}?properties=...: the record's properties as a reader. */
  async object(type: string, id: string, properties: string[]): Promise<{ read: FieldReader } | { error: string; transient?: boolean }> {
    const query = new URLSearchParams({ properties: properties.join(','), archived: 'false' });
    const res = await this.get(`/crm/v3/objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}?${query}`);
    // Unreachable, rate-limited or failing now: the change is good and HubSpot should send it
    // again (a 503), not have it rejected for an outage.
    if (!res.ok) return transient(res.status) ? { error: res.message, transient: true } : { error: res.message };
    const props = ((res.json as { properties?: Record<string, unknown> }).properties ?? {});
    return { read: (source) => (source in props ? props[source] : undefined) };
  }

  /** GET /account-info/v3/details: the portal's time zone (`US/Eastern`), or null when it cannot be read. */
  async portalTimeZone(): Promise<string | null> {
    const res = await this.get('/account-info/v3/details');
    const zone = res.ok ? (res.json as { timeZone?: unknown }).timeZone : null;
    return typeof zone === 'string' && zone !== '' ? zone : null;
  }

  /**
   * GET /crm/v3/owners/{id}: the owner's email, to find the rep when no rep has this crm_id yet;
   * null when HubSpot has no such owner. Throws HubSpotUnavailable when the API cannot answer now:
   * the change would otherwise be rejected for an owner that is only out of reach.
   */
  async ownerEmail(ownerId: string): Promise<string | null> {
    const res = await this.get(`/crm/v3/owners/${encodeURIComponent(ownerId)}?idProperty=id`);
    if (!res.ok && transient(res.status)) throw new HubSpotUnavailable(res.message);
    if (!res.ok) return null;
    const email = (res.json as { email?: unknown }).email;
    return typeof email === 'string' && email.includes('@') ? email : null;
  }
}

/** HubSpot's object name in API paths: deal → deals, contact → contacts; a type id (2-1234) as is. */
function apiType(object: string): string {
  if (/^\d+-\d+$/.test(object)) return object;
  return object.endsWith('s') ? object : `${object}s`;
}

/** Deliveries of a batch; deletions and objects the mapping does not take are skipped (listed). */
export function hubSpotDeliveries(
  mapping: CrmMapping, events: HubSpotEvent[], api: HubSpotApi | null,
): { deliveries: Delivery[]; skipped: SkippedChange[] } {
  const deliveries: Delivery[] = [];
  const skipped: SkippedChange[] = [];
  for (const event of events) {
    const { object, change } = hubSpotObject(event);
    const entity = entityOf(mapping, object);
    if (entity === 'deal' && (change === 'deletion' || change === 'merge')) {
      const removals = dealRemovals(event, object);
      if (removals.length === 0) {
        skipped.push({ id: String(event.eventId), vendorEventId: true, detail: `${event.subscriptionType}: names no deal merged away (mergedObjectIds)` });
      }
      deliveries.push(...removals);
      continue;
    }
    if (!entity || (change !== 'creation' && change !== 'propertyChange' && change !== 'restore')) {
      const what = object === event.subscriptionType.split('.')[0] ? event.subscriptionType : `${event.subscriptionType} of ${object} (${event.objectTypeId})`;
      // A deletion or merge of a contact is not the mapping's doing: salesflow removes deals only
      // (docs/crm.md), and "not taken by hubspot.yaml" sent admins editing the mapping.
      const removal = entity !== null && (change === 'deletion' || change === 'merge' || change === 'privacyDeletion');
      const detail = removal
        ? `${what}: salesflow removes deleted and merged deals, not ${entity}s; ${entity} ${String(event.objectId)} stays as it was (docs/crm.md, "Deleted and merged records")`
        : `${what}: not taken by ${mapping.file}`;
      skipped.push({ id: String(event.eventId), vendorEventId: true, detail });
      continue;
    }
    const properties = [...new Set(Object.values(mapping[entity].fields).flat())];
    if (change === 'restore') {
      // Restored in HubSpot: the deal comes back as salesflow held it when it was deleted (a
      // deletion recorded since the restore's time, or none at all, leaves it as it is).
      if (entity !== 'deal') {
        skipped.push({ id: String(event.eventId), vendorEventId: true, detail: `${event.subscriptionType}: salesflow takes no deletions of ${entity}s, so there is nothing to restore` });
        continue;
      }
      const recordId = String(event.objectId);
      deliveries.push({
        vendorEventId: String(event.eventId), entity, recordId, occurredAt: new Date(event.occurredAt).toISOString(),
        read: () => undefined, raw: event, version: { key: `${object}:${recordId}:restore`, at: event.occurredAt }, restoreOnly: true,
      });
      continue;
    }
    if (change === 'propertyChange' && event.propertyName && !properties.includes(event.propertyName)) {
      skipped.push({ id: String(event.eventId), vendorEventId: true, detail: `${event.propertyName}: no salesflow field reads this property` });
      continue;
    }
    const recordId = String(event.objectId);
    const changed: Record<string, unknown> = change === 'propertyChange' && event.propertyName ? { [event.propertyName]: event.propertyValue ?? null } : {};
    deliveries.push({
      vendorEventId: String(event.eventId),
      entity,
      recordId,
      occurredAt: new Date(event.occurredAt).toISOString(),
      read: (source) => (source in changed ? changed[source] : undefined),
      raw: event,
      // Per property: HubSpot does not order its events, and a late change of one property must
      // not be dropped because another property of the record changed since.
      version: { key: `${object}:${recordId}:${event.propertyName ?? 'creation'}`, at: event.occurredAt },
      fallback: async () => api
        ? api.object(apiType(object), recordId, properties)
        : { error: `${entity} ${recordId} is not in salesflow yet and HUBSPOT_API_TOKEN is not set, so its other properties cannot be read` },
    });
  }
  return { deliveries, skipped };
}

/**
 * The deals a deletion or merge event removes. A deletion: its object. A merge: the records merged
 * away (mergedObjectIds, and the primary too when the merge made a new record, newObjectId), each
 * merged into the record kept; one delivery each, named `eventId:recordId`.
 */
function dealRemovals(event: HubSpotEvent, object: string): Delivery[] {
  const actor = typeof event.sourceId === 'string' && event.sourceId !== '' ? event.sourceId : null;
  const occurredAt = new Date(event.occurredAt).toISOString();
  const base = (recordId: string, vendorEventId: string, change: 'deletion' | 'merge', mergedInto: string | null): Delivery => ({
    vendorEventId, entity: 'deal', recordId, occurredAt, read: () => undefined, raw: event, version: null,
    removal: { change, mergedInto, actor, at: event.occurredAt, changes: `${object}:${recordId}` },
  });
  if (event.subscriptionType.endsWith('.deletion')) return [base(String(event.objectId), String(event.eventId), 'deletion', null)];
  const kept = String(event.newObjectId ?? event.primaryObjectId ?? event.objectId);
  // null is HubSpot's "none" for a merge that made no new record, as a missing key is.
  const away = [...(event.mergedObjectIds ?? []), ...(event.newObjectId != null && event.primaryObjectId != null ? [event.primaryObjectId] : [])]
    .map(String).filter((id, i, all) => id !== kept && all.indexOf(id) === i);
  return away.map((id) => base(id, `${String(event.eventId)}:${id}`, 'merge', kept));
}

/**
 * Owners for one batch: an owner no rep carries yet is looked up by email through the API; the
 * links found are stored by `storeLinks`, called once the whole batch is translated, before any of
 * it is routed.
 */
export function hubSpotOwners(store: CrmStore, api: HubSpotApi | null, source: string): { owners: OwnerLookup; storeLinks(): Promise<void> } {
  const links: [string, string][] = [];
  return {
    owners: async (owner) => {
      const known = await store.repIdForOwner(owner, source);
      if (known !== null || !api) return known;
      const email = await api.ownerEmail(owner);
      const rep = email ? await store.repIdForOwner(email, source) : null;
      if (rep) links.push([rep, owner]);
      return rep;
    },
    storeLinks: async () => {
      // As this source's id: the rep's ids in other CRMs (its Salesforce user id) stay.
      for (const [rep, owner] of links) await store.setRepCrmId(rep, owner, source);
    },
  };
}

/**
 * HubSpot's Close Date is a moment (a date picked at 4 pm in Phoenix on 31 March is 1 April 01:09
 * UTC), and a deal counts on the day it falls on in the mapping's timezone: in another zone than
 * the portal's, a deal closed in the evening (or morning) counts on another day than HubSpot shows,
 * on a quarter's last day in another quarter. What to say when the two zones differ, else null.
 */
export function hubSpotZoneMismatch(portalZone: string, mapping: CrmMapping, now: number): string | null {
  const wallClock = (zone: string, at: number) => new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(at);
  // Now and half a year on, so zones that differ only in summer time are told apart too.
  const instants = [now, now + 182 * 86_400_000];
  try {
    if (instants.every((at) => wallClock(portalZone, at) === wallClock(mapping.timezone, at))) return null;
  } catch {
    return null; // a zone name this runtime does not know: nothing can be compared
  }
  return `the HubSpot portal's time zone is ${portalZone}, but the ${mapping.name} mapping counts close dates on the day they fall on in ${mapping.timezone}: ` +
    `a deal closed in the evening or early morning counts on another day than HubSpot shows (on a quarter's last day, in another quarter). ` +
    `Set timezone: ${portalZone} in ${mappingFile(mapping)}, and apply it (docs/crm.md, HubSpot)`;
}

/** hubSpotZoneMismatch for the portal the API token belongs to; null when they agree or the API cannot tell. */
export async function hubSpotZoneWarning(api: HubSpotApi, mapping: CrmMapping, now: number): Promise<string | null> {
  const zone = await api.portalTimeZone();
  return zone === null ? null : hubSpotZoneMismatch(zone, mapping, now);
}
