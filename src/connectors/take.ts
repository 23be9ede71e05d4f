// Taking prepared CRM deliveries (src/connectors/deliveries.ts), in order, under the source's CRM
// lock: claim each change's version, route its event, and say per change what became of it. One
// implementation for the webhooks (src/server/webhooks.ts) and `salesflow crm retry`, so a change
// retried from the rejected list is taken exactly as it would have been when the CRM sent it.
import type { CrmEvent } from '../events/schema.js';
import { answeredId, type Delivery, describeProblems, type PreparedDelivery, type SkippedChange } from './deliveries.js';
import type { CrmMapping } from './mapping/types.js';
import type { CrmStore } from './store.js';

export interface DeliveryResult {
  /** The salesflow event id (`<source>:<CRM event id>`), or `record N` for a JSON record without one. */
  event: string;
  status: 'accepted' | 'duplicate' | 'older' | 'ignored' | 'rejected' | 'deleted';
  type?: string;
  detail?: string;
}

/**
 * Each prepared delivery's result, in order, and the CRM delivery ids that were taken (routed, or
 * acknowledged as ignored: nothing about them is missing any more). `route` may throw to stop:
 * what was taken before stays taken, and the caller answers so the rest is sent again.
 */
export async function takePrepared(
  mapping: CrmMapping, store: CrmStore, prepared: readonly PreparedDelivery[], route: (event: CrmEvent) => Promise<unknown>,
): Promise<{ results: DeliveryResult[]; taken: string[] }> {
  const results: DeliveryResult[] = [];
  const taken: string[] = [];
  for (const { delivery, event, older, skipped, amount, rejected, restores } of prepared) {
    if (rejected) {
      results.push({ event: answeredId(mapping.name, delivery.vendorEventId), status: 'rejected', detail: describeProblems(rejected) });
      continue;
    }
    if (older || (delivery.version && (await store.claimVersion(mapping.name, delivery.version.key, delivery.version.at)) === 'stale')) {
      const event = answeredId(mapping.name, delivery.vendorEventId);
      // The CRM sending again a change taken before (a batch retried whole): it was not passed over.
      results.push(!delivery.removal && await store.eventTaken(event)
        ? { event, status: 'duplicate' }
        : { event, status: 'older', detail: 'a newer change of this record was already taken; nothing changed' });
      continue;
    }
    if (delivery.removal) {
      const outcome = await store.removeRecord(mapping.name, delivery);
      taken.push(delivery.vendorEventId);
      results.push(outcome === 'removed' || outcome === 'recorded'
        ? { event: answeredId(mapping.name, delivery.vendorEventId), status: 'deleted', detail: removedDetail(delivery, outcome === 'removed') }
        : outcome === 'duplicate'
          ? { event: answeredId(mapping.name, delivery.vendorEventId), status: 'duplicate' }
          : { event: answeredId(mapping.name, delivery.vendorEventId), status: 'older', detail: 'a newer deletion or change of this record was already taken; nothing changed' });
      continue;
    }
    if (skipped || !event) {
      taken.push(delivery.vendorEventId);
      results.push({ event: answeredId(mapping.name, delivery.vendorEventId), status: 'ignored', detail: skipped ?? 'the mapping routes no event for this change' });
      continue;
    }
    // The stand-in is recorded before the deal is stored and cleared only after: a failure
    // in between leaves a stand-in recorded too many (a later move to won is refused), never too few.
    if (amount === 'zero') await store.noteAmount(mapping.name, delivery.recordId, 'zero');
    const outcome = await route(event);
    if (amount === 'given') await store.noteAmount(mapping.name, delivery.recordId, 'given');
    // Stored again by the route: the deletion it had in salesflow is over.
    if (restores) await store.clearDeletion(delivery.entity, delivery.recordId);
    const duplicate = (outcome as { duplicate?: boolean } | null)?.duplicate;
    taken.push(delivery.vendorEventId);
    results.push({
      event: event.id, type: event.type, status: duplicate ? 'duplicate' : 'accepted',
      ...(amount === 'zero' && !duplicate ? { detail: 'no amount in the CRM: stored with amount 0 until it has one (deal.missing_amount)' } : {}),
    });
  }
  return { results, taken };
}

/** The results of the changes a connector left out before translating them. */
export function skippedResults(source: string, skipped: readonly SkippedChange[]): DeliveryResult[] {
  return skipped.map((s) => ({ event: s.vendorEventId ? answeredId(source, s.id) : s.id, status: 'ignored' as const, detail: s.detail }));
}

/** What a removal did, for the CRM's log and the admin reading the answer. */
function removedDetail(delivery: Delivery, held: boolean): string {
  const removal = delivery.removal!;
  const how = removal.change === 'merge' ? `merged into ${delivery.entity} ${removal.mergedInto ?? '(unnamed)'}` : 'deleted';
  if (!held) {
    return `${delivery.entity} ${delivery.recordId} ${how} in the CRM: salesflow held no such ${delivery.entity}; the deletion is recorded, so a change of it sent late is not stored; salesflow crm deleted lists it`;
  }
  return `${delivery.entity} ${delivery.recordId} ${how} in the CRM: removed from salesflow's deals (statements computed from now on leave it out; recorded ones and the ledger are unchanged); salesflow crm deleted lists it`;
}
