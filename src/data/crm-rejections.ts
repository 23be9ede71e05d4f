// CRM changes a webhook could not translate (migration 11). A webhook request takes its good changes
// and answers the CRM with success, so each change it could not take is kept here, durably, with
// the located problem and the change as the CRM sent it: `salesflow status` counts them and
// `salesflow crm rejected` lists them. One row per (source, CRM delivery id): a retried request
// records nothing twice, and a change taken later (the mapping fixed, the CRM re-sent it) removes it.
import type { Db } from './db.js';

export interface CrmRejection {
  source: string;
  vendorEventId: string;
  entity: 'deal' | 'lead';
  recordId: string;
  /** The located problem(s): `field: message`, several joined by "; ". */
  message: string;
  /** The change as the CRM sent it (a HubSpot event, a Salesforce notification, a JSON record). */
  raw: unknown;
  rejectedAt: string;
}

/** Records rejections; one already recorded for the same (source, delivery id) is left as it is. */
export async function recordCrmRejections(db: Db, rejections: readonly CrmRejection[]): Promise<void> {
  if (rejections.length === 0) return;
  await db.kysely.insertInto('crm_rejections')
    .values(rejections.map((r) => ({
      source: r.source, vendor_event_id: r.vendorEventId, entity: r.entity, record_id: r.recordId,
      message: r.message, raw: JSON.stringify(r.raw ?? null), rejected_at: r.rejectedAt,
    })))
    .onConflict((oc) => oc.columns(['source', 'vendor_event_id']).doNothing())
    .execute();
}

/** These deliveries of `source` were taken after all: they are no longer rejected. */
export async function clearCrmRejections(db: Db, source: string, vendorEventIds: readonly string[]): Promise<void> {
  for (let i = 0; i < vendorEventIds.length; i += 500) {
    await db.kysely.deleteFrom('crm_rejections')
      .where('source', '=', source).where('vendor_event_id', 'in', vendorEventIds.slice(i, i + 500)).execute();
  }
}

/** A rejected change tried again and still rejected: its problem as it stands now (the rest is kept). */
export async function restateCrmRejection(db: Db, source: string, vendorEventId: string, message: string): Promise<void> {
  await db.kysely.updateTable('crm_rejections').set({ message })
    .where('source', '=', source).where('vendor_event_id', '=', vendorEventId).execute();
}

/** Rejections newest first (by when, then by the order recorded; `oldestFirst` the other way), of one source or all. */
export async function listCrmRejections(db: Db, options: { source?: string; limit?: number; oldestFirst?: boolean } = {}): Promise<CrmRejection[]> {
  let query = db.kysely.selectFrom('crm_rejections').selectAll();
  if (options.source) query = query.where('source', '=', options.source);
  const order = options.oldestFirst ? 'asc' : 'desc';
  const found = await query.orderBy('rejected_at', order).orderBy('id', order).limit(options.limit ?? 1000).execute();
  return found.map((row) => ({
    source: row.source, vendorEventId: row.vendor_event_id, entity: row.entity as CrmRejection['entity'], recordId: row.record_id,
    message: row.message, raw: JSON.parse(row.raw) as unknown, rejectedAt: row.rejected_at,
  }));
}

/** How many rejections there are, how many since `since` (ISO time; null: none counted), and the newest few. */
export async function crmRejectionSummary(db: Db, since: string | null, newest = 3): Promise<{ total: number; since: number; newest: CrmRejection[] }> {
  const count = async (after: string | null) => {
    let query = db.kysely.selectFrom('crm_rejections').select((eb) => eb.fn.countAll().as('n'));
    if (after !== null) query = query.where('rejected_at', '>', after);
    // count(*) is a number on SQLite and text (int8) on PostgreSQL.
    return Number((await query.executeTakeFirstOrThrow()).n);
  };
  const total = await count(null);
  return { total, since: since === null ? total : await count(since), newest: total ? await listCrmRejections(db, { limit: newest }) : [] };
}
