// A CRM delivery (one change of one record, from any connector) → a salesflow event: translate
// through the mapping over what salesflow holds, choose the event type, and name it by the CRM's
// own event id so a repeat is a duplicate. Every delivery of a request is prepared before any is
// routed, so a request with one bad record stores nothing.
import { CrmEvent } from '../events/schema.js';
import type { CrmMapping } from './mapping/types.js';
import type { CrmStore } from './store.js';
import { type AmountSource, chooseEvent, type FieldProblem, type FieldReader, type OwnerLookup, type EntityRow, translateRecord } from './translate.js';

export interface Delivery {
  /** The CRM's own id of this delivery (HubSpot eventId, Salesforce notification Id, ...). */
  vendorEventId: string;
  entity: 'deal' | 'lead';
  /** The record's id in the CRM (= its salesflow id). */
  recordId: string;
  occurredAt: string;
  read: FieldReader;
  /** For ordering: what this delivery changed (record, or record + property) and when. */
  version: { key: string; at: number } | null;
  /** A record fetched in full (HubSpot API), used when salesflow holds nothing for the id. */
  fallback?: () => Promise<{ read: FieldReader } | { error: string }>;
}

export interface PreparedDelivery {
  delivery: Delivery;
  /** null: the mapping routes no event for this change, leaves the record out (acknowledged, ignored), or it is older. */
  event: CrmEvent | null;
  /** A newer change of the same record (or property) was already taken: nothing of it is. */
  older?: boolean;
  /** Why the record is left out (deal.missing_amount: skip); absent when it is taken. */
  skipped?: string;
  /** Deals: where the amount stored comes from (`zero`: a stand-in for an amount the CRM does not give). */
  amount?: AmountSource;
}

export type Prepared = { ok: true; prepared: PreparedDelivery[] } | { ok: false; problems: (FieldProblem & { eventId: string })[] };

export async function prepareDeliveries(
  mapping: CrmMapping, store: CrmStore, deliveries: Delivery[], owners: OwnerLookup = (o) => store.repIdForOwner(o),
): Promise<Prepared> {
  // Later deliveries of a batch see what earlier ones did to the same record.
  const working = new Map<string, EntityRow | null>();
  const amounts = new Map<string, AmountSource>();
  const prepared: PreparedDelivery[] = [];
  const problems: (FieldProblem & { eventId: string })[] = [];
  // The newest version per key: as stored, then as the deliveries before in this batch will claim
  // it. A delivery older than that is left out here, before it joins `working`: otherwise its old
  // values would ride into the record a later, current delivery of the same batch writes and is
  // routed by. (Callers hold the source's CRM lock, so no other request claims meanwhile.)
  const newest = new Map<string, number | null>();
  for (const delivery of deliveries) {
    if (delivery.version) {
      const { key: versionKey, at } = delivery.version;
      const known = newest.has(versionKey) ? newest.get(versionKey)! : await store.newestVersion(mapping.name, versionKey);
      if (known !== null && known > at) {
        prepared.push({ delivery, event: null, older: true });
        continue;
      }
      newest.set(versionKey, at);
    }
    const key = `${delivery.entity}:${delivery.recordId}`;
    const before = working.has(key) ? working.get(key)! : await store.stored(delivery.entity, delivery.recordId);
    // A deal held with a stand-in amount: a change that leaves the amount out must not pay on the 0.
    const withoutAmount = delivery.entity === 'deal' && before !== null &&
      (working.has(key) ? amounts.get(key) === 'zero' : await store.storedWithoutAmount(delivery.recordId));
    let read = delivery.read;
    // Read in full when salesflow holds nothing, and when it holds a stand-in amount: the amount
    // entered since (HubSpot sends it as a change of its own) may come with a stage change this
    // server refused while the amount was missing, which only the full record still tells.
    if ((!before || withoutAmount) && delivery.fallback) {
      const full = await delivery.fallback();
      if ('error' in full) {
        if (!before) {
          problems.push({ eventId: delivery.vendorEventId, field: '(record)', message: full.error });
          continue;
        }
      } else {
        const partial = delivery.read;
        read = (source) => { const v = partial(source); return v === undefined ? full.read(source) : v; };
      }
    }
    const idSource = mapping[delivery.entity].fields.id?.[0];
    const withId: FieldReader = (source) => (source === idSource ? delivery.recordId : read(source));
    const translated = await translateRecord(mapping, delivery.entity, 'fields', withId, before, owners, { storedWithoutAmount: withoutAmount });
    if (translated.ok === 'skipped') {
      prepared.push({ delivery, event: null, skipped: translated.reason });
      continue;
    }
    if (!translated.ok) {
      problems.push(...translated.problems.map((p) => ({ ...p, eventId: delivery.vendorEventId })));
      continue;
    }
    const after = translated.record as EntityRow;
    working.set(key, after);
    if (translated.amount) amounts.set(key, translated.amount);
    const amount = translated.amount;
    const type = chooseEvent(mapping, delivery.entity, before, after);
    if (!type) { prepared.push({ delivery, event: null, amount }); continue; }
    const parsed = CrmEvent.safeParse({
      id: `${mapping.name}:${delivery.vendorEventId}`, type, occurred_at: delivery.occurredAt, [delivery.entity]: after,
    });
    if (!parsed.success) {
      problems.push({ eventId: delivery.vendorEventId, field: '(event)', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      continue;
    }
    prepared.push({ delivery, event: parsed.data, amount });
  }
  return problems.length ? { ok: false, problems } : { ok: true, prepared };
}

export function describeProblems(problems: (FieldProblem & { eventId: string })[]): string {
  return problems.map((p) => `event ${p.eventId}: ${p.field}: ${p.message}`).join('; ');
}
