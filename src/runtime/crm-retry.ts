// `salesflow crm retry`: the recorded rejections of CRM webhook changes (src/data/crm-rejections.ts)
// run again, oldest first, through the applied plan's mappings (after the missing stage was added,
// the owners imported, ...): each source under its CRM lock, prepared and taken by the same code
// as its webhook (src/connectors/deliveries.ts, take.ts), so a retried change is ordered against
// what was taken since exactly as a late delivery would be. What is taken, or is now ignored or
// superseded by a newer change of its record, leaves the list; what is still rejected stays, with
// its problem as it stands now.
import type { Config } from '../config.js';
import { answeredId, type Delivery, describeProblems, prepareDeliveries } from '../connectors/deliveries.js';
import { HubSpotApi, HubSpotUnavailable, hubSpotOwners } from '../connectors/hubspot.js';
import { findMapping } from '../connectors/mapping/load.js';
import { redelivery } from '../connectors/redeliver.js';
import { dataCrmStore } from '../connectors/store.js';
import { type DeliveryResult, takePrepared } from '../connectors/take.js';
import { CrmLockTimeout, withCrmLock } from '../data/crm-lock.js';
import { clearCrmRejections, type CrmRejection, listCrmRejections, restateCrmRejection } from '../data/crm-rejections.js';
import { type RouteDeps, routeEvent } from './events.js';

/** What became of one source's rejections. */
export interface SourceRetry {
  source: string;
  /** Why nothing of this source was tried (no mapping, the lock or the HubSpot API out of reach). */
  notTried?: string;
  results: DeliveryResult[];
  /** How many left the list. */
  cleared: number;
  /** How many are still rejected. */
  remaining: number;
}

export type RetryDeps = RouteDeps & { config: Config };

/** How long to wait for the source's webhook requests in progress (any serve process). */
const LOCK_WAIT_MS = 60_000;
const LEASE_MS = 3 * LOCK_WAIT_MS;

export async function retryCrmRejections(deps: RetryDeps, onlySource?: string): Promise<SourceRetry[]> {
  const all = await listCrmRejections(deps.db, { source: onlySource, oldestFirst: true, limit: 100_000 });
  const sources = [...new Set(all.map((r) => r.source))];
  const retried: SourceRetry[] = [];
  for (const source of sources) {
    const rejections = all.filter((r) => r.source === source);
    try {
      retried.push(await withCrmLock(deps.db, source, { waitMs: LOCK_WAIT_MS, leaseMs: LEASE_MS }, () => retrySource(deps, source, rejections)));
    } catch (err) {
      if (!(err instanceof CrmLockTimeout)) throw err;
      retried.push({ source, notTried: `its webhook requests kept the CRM lock: ${err.message}`, results: [], cleared: 0, remaining: rejections.length });
    }
  }
  return retried;
}

async function retrySource(deps: RetryDeps, source: string, rejections: CrmRejection[]): Promise<SourceRetry> {
  const { db, config } = deps;
  const mapping = findMapping(deps.plan.crm ?? [], source);
  if (!mapping) return { source, notTried: `no mapping for "${source}" in the applied plan`, results: [], cleared: 0, remaining: rejections.length };
  const store = dataCrmStore(db);
  const hubspot = config.crm?.hubspot;
  const api = mapping.preset === 'hubspot' && hubspot?.apiToken ? new HubSpotApi(hubspot.apiUrl, hubspot.apiToken) : null;
  const results: DeliveryResult[] = [];
  const cleared: string[] = [];
  const deliveries: Delivery[] = [];
  for (const rejection of rejections) {
    const again = redelivery(mapping, rejection, api);
    if ('delivery' in again) { deliveries.push(again.delivery); continue; }
    if ('ignored' in again) {
      cleared.push(rejection.vendorEventId);
      results.push({ event: answeredId(source, rejection.vendorEventId), status: 'ignored', detail: again.ignored });
      continue;
    }
    await restateCrmRejection(db, source, rejection.vendorEventId, again.error);
    results.push({ event: answeredId(source, rejection.vendorEventId), status: 'rejected', detail: again.error });
  }
  const { owners, storeLinks } = hubSpotOwners(store, api, mapping.name);
  const prepared = await prepareDeliveries(mapping, store, deliveries, owners).catch((err: unknown) => {
    if (err instanceof HubSpotUnavailable) return { ok: false as const, unavailable: err.message };
    throw err;
  });
  if (!prepared.ok) {
    return { source, notTried: `the HubSpot API cannot answer now (${prepared.unavailable}); nothing of ${source} was taken`, results: [], cleared: 0, remaining: rejections.length };
  }
  for (const p of prepared.prepared) {
    if (p.rejected) await restateCrmRejection(db, source, p.delivery.vendorEventId, describeProblems(p.rejected));
  }
  await storeLinks();
  const taken = await takePrepared(mapping, store, prepared.prepared, (event) => routeEvent(deps, event));
  results.push(...taken.results);
  // Superseded: a newer change of the record was taken since; nothing of this one is missing.
  const older = prepared.prepared.filter((p) => p.older).map((p) => p.delivery.vendorEventId);
  cleared.push(...taken.taken, ...older);
  await clearCrmRejections(db, source, cleared);
  return { source, results, cleared: cleared.length, remaining: rejections.length - cleared.length };
}
