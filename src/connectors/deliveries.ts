// A CRM delivery (one change of one record, from any connector) → a salesflow event: translate
// through the mapping over what salesflow holds, choose the event type, and name it by the CRM's
// own event id so a repeat is a duplicate. Every delivery of a request is prepared before any is
// routed; one that cannot be translated is marked rejected with its located problems (the caller
// records it and takes the others), and the deliveries after it are prepared as if it never came.
import { CrmEvent } from '../events/schema.js';
import type { CrmMapping } from './mapping/types.js';
import { salesforceShortId } from './salesforce-ids.js';
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
  /**
   * For ordering: what this delivery changed (record, or record + property) and when. A sender
   * that gives no time of its own is ordered by when salesflow received it (receiptVersion).
   */
  version: { key: string; at: number } | null;
  /**
   * When salesflow received it, where its order comes from that (receiptVersion): a rejection of
   * it is recorded with this time, which `salesflow crm retry` passes back as the receipt time.
   */
  receivedAt?: string;
  /** The change as the CRM sent it, kept with a rejection (JSON-serialisable). */
  raw: unknown;
  /**
   * A record fetched in full (HubSpot API), used when salesflow holds nothing for the id.
   * `transient`: the API could not answer now (unreachable, 429, 5xx); the CRM should send again.
   */
  fallback?: () => Promise<{ read: FieldReader } | { error: string; transient?: boolean }>;
  /**
   * The CRM deleted the deal, or merged it into another (src/data/crm-deletions.ts): it is removed,
   * nothing is translated. `at` is the CRM's time of it; `changes` the version key of the record's
   * changes (HubSpot's are per property, `deal:123:amount`, so any key `changes:...` counts too).
   */
  removal?: { change: 'deletion' | 'merge'; mergedInto: string | null; actor: string | null; at: number; changes: string };
  /** A restore (HubSpot `deal.restore`): taken only for a deal salesflow holds as deleted, else ignored. */
  restoreOnly?: boolean;
  /**
   * Another id the record may be held under (Salesforce: the 15-character form of an 18-character
   * id, as a report export wrote it): when salesflow holds nothing under `recordId` but holds this,
   * the change is that record's.
   */
  heldAs?: string;
}

/**
 * A change of a request the connector leaves out before translating it (an object or property the
 * mapping does not take, a deletion): `id` is the CRM's event id (answered as `<source>:<id>`, like
 * every other change), or `record N` for a JSON record left out before its id is read.
 */
export interface SkippedChange {
  id: string;
  vendorEventId: boolean;
  detail: string;
}

/**
 * The id a change is answered with: the salesflow event id `<source>:<CRM event id>` whatever
 * became of the change (accepted, duplicate, older, ignored, rejected), so a reply can be matched
 * to `salesflow events`, `salesflow crm rejected` and the CRM's own log alike.
 */
export function answeredId(source: string, vendorEventId: string): string {
  return `${source}:${vendorEventId}`;
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
  /** Why the change cannot be translated (then `event` is null and nothing of it is taken). */
  rejected?: FieldProblem[];
  /** The deal was deleted in salesflow (a CRM deletion older than this change): taking it restores it. */
  restores?: boolean;
}

/**
 * Every delivery prepared, in order; or, when something the translation needs could not be
 * reached right now (the HubSpot API), nothing: a rejection would then lose a good change.
 */
export type Prepared = { ok: true; prepared: PreparedDelivery[] } | { ok: false; unavailable: string };

export async function prepareDeliveries(
  mapping: CrmMapping, store: CrmStore, deliveries: Delivery[], ownerLookup: OwnerLookup = (o) => store.repIdForOwner(o, mapping.name),
): Promise<Prepared> {
  // A Salesforce OwnerId comes with 18 characters; a users report gave the reps' ids in 15.
  const owners: OwnerLookup = mapping.preset !== 'salesforce' ? ownerLookup : async (owner) => {
    const found = await ownerLookup(owner);
    const short = found === null ? salesforceShortId(owner) : null;
    return short ? ownerLookup(short) : found;
  };
  // Later deliveries of a batch see what earlier ones did to the same record.
  const working = new Map<string, EntityRow | null>();
  const amounts = new Map<string, AmountSource>();
  const prepared: PreparedDelivery[] = [];
  // The newest version per key: as stored, then as the deliveries before in this batch will claim
  // it. A delivery older than that is left out here, before it joins `working`: otherwise its old
  // values would ride into the record a later, current delivery of the same batch writes and is
  // routed by. (Callers hold the source's CRM lock, so no other request claims meanwhile.)
  const newest = new Map<string, number | null>();
  // Deals deleted in the CRM: as recorded, then as the deliveries before in this batch remove them
  // (null: not deleted), and the newest change of each record the batch takes so far.
  const deleted = new Map<string, { version: number; held: EntityRow | null } | null>();
  const changedAt = new Map<string, number>();
  for (const sent of deliveries) {
    const delivery = await underHeldId(sent);
    const recordKey = `${delivery.entity}:${delivery.recordId}`;
    if (delivery.removal) {
      // A change of the record newer than the deletion was already taken (HubSpot: restored and
      // edited, the deletion delivered late): the deletion is older and removes nothing.
      const stored = await store.newestChange(mapping.name, delivery.removal.changes);
      const inBatch = changedAt.get(recordKey) ?? null;
      const newer = Math.max(stored ?? -Infinity, inBatch ?? -Infinity);
      if (newer > delivery.removal.at) {
        prepared.push({ delivery, event: null, older: true });
        continue;
      }
      prepared.push({ delivery, event: null });
      const before = deleted.has(recordKey) ? deleted.get(recordKey) : await store.deletion(delivery.entity, delivery.recordId);
      const held = working.has(recordKey) ? working.get(recordKey)! : await store.stored(delivery.entity, delivery.recordId);
      if (!before || before.version < delivery.removal.at) deleted.set(recordKey, { version: delivery.removal.at, held: held ?? before?.held ?? null });
      working.set(recordKey, null);
      continue;
    }
    const gone = delivery.entity === 'deal' ? (deleted.has(recordKey) ? deleted.get(recordKey)! : await store.deletion(delivery.entity, delivery.recordId)) : null;
    // A change of a deal deleted in the CRM: one older than the deletion (or without a time to
    // tell) would bring the deal back, and is left out; a newer one (HubSpot: the deal restored)
    // restores it, from the deal as salesflow held it.
    if (gone && (!delivery.version || delivery.version.at <= gone.version)) {
      prepared.push({ delivery, event: null, older: true });
      continue;
    }
    if (delivery.version) {
      const { key: versionKey, at } = delivery.version;
      const known = newest.has(versionKey) ? newest.get(versionKey)! : await store.newestVersion(mapping.name, versionKey);
      if (known !== null && known > at) {
        prepared.push({ delivery, event: null, older: true });
        continue;
      }
    }
    if (delivery.restoreOnly && !gone) {
      prepared.push({ delivery, event: null, skipped: `${delivery.entity} ${delivery.recordId} is not deleted in salesflow; nothing to restore` });
      continue;
    }
    if (gone && !working.has(recordKey)) working.set(recordKey, gone.held);
    const outcome = await prepareOne(delivery);
    if ('unavailable' in outcome) return { ok: false, unavailable: outcome.unavailable };
    if (gone && outcome.event) {
      outcome.restores = true;
      deleted.set(recordKey, null);
    }
    prepared.push(outcome);
    if (delivery.version && !outcome.rejected) changedAt.set(recordKey, Math.max(changedAt.get(recordKey) ?? -Infinity, delivery.version.at));
    // A rejected change claims no version: an older change of the same record after it in the
    // batch is still taken, as it would be had the rejected one never been sent.
    if (delivery.version && !outcome.rejected) newest.set(delivery.version.key, delivery.version.at);
  }
  return { ok: true, prepared };

  /** The delivery under the id salesflow holds its record by (Delivery.heldAs), when not its own. */
  async function underHeldId(delivery: Delivery): Promise<Delivery> {
    if (!delivery.heldAs) return delivery;
    const held = async (id: string) => {
      const key = `${delivery.entity}:${id}`;
      return working.has(key) ? working.get(key) !== null : (await store.stored(delivery.entity, id)) !== null;
    };
    return !(await held(delivery.recordId)) && (await held(delivery.heldAs)) ? { ...delivery, recordId: delivery.heldAs } : delivery;
  }

  async function prepareOne(delivery: Delivery): Promise<PreparedDelivery | { unavailable: string }> {
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
        if (full.transient) return { unavailable: full.error };
        if (!before) return { delivery, event: null, rejected: [{ field: '(record)', message: full.error }] };
      } else {
        const partial = delivery.read;
        read = (source) => { const v = partial(source); return v === undefined ? full.read(source) : v; };
      }
    }
    const idSource = mapping[delivery.entity].fields.id?.[0];
    const withId: FieldReader = (source) => (source === idSource ? delivery.recordId : read(source));
    const translated = await translateRecord(mapping, delivery.entity, 'fields', withId, before, owners, { storedWithoutAmount: withoutAmount });
    if (translated.ok === 'skipped') return { delivery, event: null, skipped: translated.reason };
    if (!translated.ok) return { delivery, event: null, rejected: translated.problems };
    const after = translated.record as EntityRow;
    const amount = translated.amount;
    const type = chooseEvent(mapping, delivery.entity, before, after);
    let event: CrmEvent | null = null;
    if (type) {
      const parsed = CrmEvent.safeParse({
        id: answeredId(mapping.name, delivery.vendorEventId), type, occurred_at: delivery.occurredAt, [delivery.entity]: after,
      });
      if (!parsed.success) {
        return { delivery, event: null, rejected: [{ field: '(event)', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }] };
      }
      event = parsed.data;
    }
    // Only a change that is taken is seen by the later ones of the batch.
    working.set(key, after);
    if (amount) amounts.set(key, amount);
    return { delivery, event, amount };
  }
}

/**
 * The order of a change its sender gives no time for (a mapping without `webhook.version`, or a
 * record sent without it): when salesflow received it, in a key space of its own so it is never
 * compared with a CRM's own times. Live, deliveries are taken in the order they come, so this
 * orders nothing differently; it is what keeps `salesflow crm retry` (which passes the time the
 * change was received) from putting a rejected change's older values over a change taken since.
 */
export function receiptVersion(object: string, recordId: string, receivedAt: string): { key: string; at: number } {
  return { key: `received:${object}:${recordId}`, at: Date.parse(receivedAt) };
}

/** A rejected change's problems as one located message: `field: message; field: message`. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
