// Deals their CRM deleted or merged into another (migration 12). The deal's row leaves `deals`, so
// everything computed from the deals from then on (metrics, goal progress, statements, simulate)
// leaves it out, and is kept here as salesflow held it, with the CRM event that removed it, who
// (when the CRM says) and when. Statements already recorded and ledger rows are never touched.
// One row per record, ordered by the CRM's time of the deletion: a repeat of the event changes
// nothing, an older deletion delivered late changes nothing, and the connectors ask `crmDeletion`
// before taking a change, so a change older than the deletion does not bring the deal back.
import type { DealRecord } from '../plan/records.js';
import { type Db, sql, transaction } from './db.js';
import { getDeal } from './deals.js';

export interface CrmDeletion {
  entity: 'deal';
  recordId: string;
  source: string;
  vendorEventId: string;
  /** The CRM's change: `deletion` or `merge`. */
  change: 'deletion' | 'merge';
  /** A merge: the record the deal was merged into. */
  mergedInto: string | null;
  /** Who deleted it, when the CRM says (HubSpot: the user id of a change made in its UI). */
  actor: string | null;
  /** The CRM's time of the deletion, epoch ms: what orders it against the record's changes. */
  version: number;
  deletedAt: string;
  recordedAt: string;
  /** The deal as salesflow held it; null when it held none. */
  held: DealRecord | null;
}

/** `recorded`: salesflow held no such deal; the deletion is recorded all the same, so a late change does not store it. */
export type DeletionOutcome = 'removed' | 'recorded' | 'duplicate' | 'older';

/**
 * Removes the deal and records why, in one transaction. `newestChange`: the newest version of a
 * change of the record already taken (a restore and an edit after it, delivered before this late
 * deletion): then the deletion is older and nothing changes.
 */
export async function recordCrmDeletion(db: Db, deletion: Omit<CrmDeletion, 'held'>, newestChange: number | null): Promise<DeletionOutcome> {
  return transaction(db, async (tx) => {
    const existing = await recordedDeletion(tx, deletion.entity, deletion.recordId);
    if (existing && existing.source === deletion.source && existing.vendorEventId === deletion.vendorEventId) return 'duplicate';
    if (existing && existing.version >= deletion.version) return 'older';
    if (newestChange !== null && newestChange > deletion.version) return 'older';
    const held = (await getDeal(tx, deletion.recordId)) ?? existing?.held ?? null;
    const row = {
      entity: deletion.entity, record_id: deletion.recordId, source: deletion.source, vendor_event_id: deletion.vendorEventId,
      change: deletion.change, merged_into: deletion.mergedInto, actor: deletion.actor, version: String(deletion.version),
      deleted_at: deletion.deletedAt, recorded_at: deletion.recordedAt, held: held ? JSON.stringify(held) : null,
    };
    // Written only over an older deletion: another process may have recorded a newer one since
    // the read above (two sources deleting one id on PostgreSQL), and it stays.
    const written = await tx.kysely.insertInto('crm_deletions').values(row)
      .onConflict((oc) => oc.columns(['entity', 'record_id']).doUpdateSet({
        source: row.source, vendor_event_id: row.vendor_event_id, change: row.change, merged_into: row.merged_into, actor: row.actor,
        version: row.version, deleted_at: row.deleted_at, recorded_at: row.recorded_at, held: row.held,
      }).where(sql<boolean>`crm_deletions.version < excluded.version`))
      .returning('record_id')
      .execute();
    if (written.length === 0) return 'older';
    const removed = await tx.kysely.deleteFrom('deals').where('id', '=', deletion.recordId).executeTakeFirst();
    return Number(removed.numDeletedRows) > 0 ? 'removed' : 'recorded';
  });
}

/**
 * The deletion in force for a record, or null: none recorded, or the deal is in the deals again
 * (imported since, or sent to POST /events), which the team did on purpose.
 */
export async function crmDeletion(db: Db, entity: 'deal', recordId: string): Promise<CrmDeletion | null> {
  const row = await db.kysely.selectFrom('crm_deletions').selectAll().where('entity', '=', entity).where('record_id', '=', recordId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('deals').select('deals.id').whereRef('deals.id', '=', 'crm_deletions.record_id'))))
    .executeTakeFirst();
  return row ? decode(row) : null;
}

/** The deletion recorded for a record, whether or not the deal is back. */
async function recordedDeletion(db: Db, entity: 'deal', recordId: string): Promise<CrmDeletion | null> {
  const row = await db.kysely.selectFrom('crm_deletions').selectAll().where('entity', '=', entity).where('record_id', '=', recordId).executeTakeFirst();
  return row ? decode(row) : null;
}

/** A record the CRM sent a change of after its deletion (restored there): no longer deleted. */
export async function clearCrmDeletion(db: Db, entity: 'deal', recordId: string): Promise<void> {
  await db.kysely.deleteFrom('crm_deletions').where('entity', '=', entity).where('record_id', '=', recordId).execute();
}

/** Deletions in force (the deal not back in the deals), newest first (by when recorded), of one source or all. */
export async function listCrmDeletions(db: Db, options: { source?: string; limit?: number } = {}): Promise<CrmDeletion[]> {
  let query = db.kysely.selectFrom('crm_deletions').selectAll()
    .where((eb) => eb.not(eb.exists(eb.selectFrom('deals').select('deals.id').whereRef('deals.id', '=', 'crm_deletions.record_id'))));
  if (options.source) query = query.where('source', '=', options.source);
  const rows = await query.orderBy('recorded_at', 'desc').orderBy('record_id', 'asc').limit(options.limit ?? 1000).execute();
  return rows.map(decode);
}

function decode(row: { entity: string; record_id: string; source: string; vendor_event_id: string; change: string; merged_into: string | null; actor: string | null; version: unknown; deleted_at: string; recorded_at: string; held: string | null }): CrmDeletion {
  return {
    entity: row.entity as 'deal', recordId: row.record_id, source: row.source, vendorEventId: row.vendor_event_id,
    change: row.change as CrmDeletion['change'], mergedInto: row.merged_into, actor: row.actor,
    // BIGINT comes back from PostgreSQL as text.
    version: Number(row.version), deletedAt: row.deleted_at, recordedAt: row.recorded_at,
    held: row.held === null ? null : (JSON.parse(row.held) as DealRecord),
  };
}
