// What the CRM connectors keep beside the entities: each rep's CRM owner id per CRM (rep_crm_ids), the
// newest change seen per CRM record, so an older delivery never overwrites newer data, and the
// deals stored with a stand-in amount of 0 because the CRM gave none (deal.missing_amount).
import { sql } from 'kysely';
import type { Db } from './db.js';
import { emailKey } from './email-key.js';

/**
 * The source of the CRM owner ids carried over from reps.crm_id (migration 15), which held one id
 * for every CRM: read by every source, after the source's own ids.
 */
export const ANY_SOURCE = '';

/**
 * The rep a CRM owner value names: by the CRM owner id `source` linked (else one of ANY_SOURCE),
 * else by email, else by name when exactly one rep has it (CSV exports print owners by name,
 * webhooks by id). `source` is the mapping's name (hubspot, salesforce, ...).
 */
export async function repIdForOwner(db: Db, owner: string, source: string = ANY_SOURCE): Promise<string | null> {
  const match = await ownerMatch(db, owner, source);
  return typeof match === 'string' ? match : null;
}

/** As repIdForOwner, but a name several reps share gives their ids (a few), so the message can say so. */
export async function ownerMatch(db: Db, owner: string, source: string = ANY_SOURCE): Promise<string | null | { sameName: string[] }> {
  // The source's own link first: '' sorts before every other name.
  const byCrmId = await db.kysely.selectFrom('rep_crm_ids').select('rep_id')
    .where('crm_id', '=', owner).where('source', 'in', [...new Set([source, ANY_SOURCE])])
    .orderBy('source', 'desc').limit(1).executeTakeFirst();
  if (byCrmId) return byCrmId.rep_id;
  const byEmail = await db.kysely.selectFrom('reps').select('id')
    .where('email_key', '=', emailKey(owner)).orderBy('id').limit(1).executeTakeFirst();
  if (byEmail) return byEmail.id;
  const byName = await db.kysely.selectFrom('reps').select('id').where('name', '=', owner).orderBy('id').limit(6).execute();
  if (byName.length === 0) return null;
  return byName.length === 1 ? byName[0].id : { sameName: byName.map((r) => r.id) };
}

/**
 * Gives `crmId` of `source` to one rep, in place of the rep's earlier id of that source; a rep
 * that had it before in that source (a reassigned CRM user) loses it, also a rep that had it
 * carried over (ANY_SOURCE). The rep's ids of other sources stay. The link is one upsert on the
 * key (source, crm_id): two processes linking the same id at once leave it on one rep. Three
 * statements, each on its own and none holding a row for the next: in one transaction, two
 * processes swapping two reps' ids at once each waited for the other's row (PostgreSQL:
 * "deadlock detected", the link lost). Stopped between them, the rep has no id of that source
 * until it is linked again (HubSpot links it again when it sends the batch again).
 */
export async function setRepCrmId(db: Db, repId: string, crmId: string, source: string = ANY_SOURCE): Promise<void> {
  await db.kysely.deleteFrom('rep_crm_ids')
    .where('source', '=', source).where('rep_id', '=', repId).where('crm_id', '<>', crmId).execute();
  if (source !== ANY_SOURCE) {
    await db.kysely.deleteFrom('rep_crm_ids')
      .where('source', '=', ANY_SOURCE).where('crm_id', '=', crmId).where('rep_id', '<>', repId).execute();
  }
  await db.kysely.insertInto('rep_crm_ids').values({ source, crm_id: crmId, rep_id: repId })
    .onConflict((oc) => oc.columns(['source', 'crm_id']).doUpdateSet((eb) => ({ rep_id: eb.ref('excluded.rep_id') })))
    .execute();
}

/** The rep's CRM owner id in `source` (else one carried over, ANY_SOURCE), or null. */
export async function getRepCrmId(db: Db, repId: string, source: string = ANY_SOURCE): Promise<string | null> {
  const row = await db.kysely.selectFrom('rep_crm_ids').select('crm_id')
    .where('rep_id', '=', repId).where('source', 'in', [...new Set([source, ANY_SOURCE])])
    .orderBy('source', 'desc').orderBy('crm_id').limit(1).executeTakeFirst();
  return row?.crm_id ?? null;
}

/**
 * Records `version` (epoch ms) as the newest seen for a CRM record unless a newer one is already
 * there, in one statement (two servers at once cannot both win). An equal version is a repeat of
 * the same change and passes: its event id then decides whether it is a duplicate.
 */
export async function claimRecordVersion(db: Db, source: string, recordKey: string, version: number): Promise<'current' | 'stale'> {
  return (await claimVersions(db, source, [recordKey], version)).has(recordKey) ? 'current' : 'stale';
}

/** The newest version recorded for a CRM record (or record and property), or null when none is. */
export async function newestRecordVersion(db: Db, source: string, recordKey: string): Promise<number | null> {
  const row = await db.kysely.selectFrom('crm_versions').select('version')
    .where('source', '=', source).where('record_key', '=', recordKey).executeTakeFirst();
  // BIGINT comes back from PostgreSQL as text.
  return row ? Number(row.version) : null;
}

/**
 * The newest version of any change of a record: its key (`Deals:123`) or a key of one of its
 * properties (`deal:123:amount`). substr, not LIKE, so an id's % or _ is no wildcard; its length
 * in characters (code points) as SQL counts them, not in JavaScript's UTF-16 units.
 */
export async function newestRecordChange(db: Db, source: string, recordKey: string): Promise<number | null> {
  const prefix = `${recordKey}:`;
  const row = await db.kysely.selectFrom('crm_versions').select((eb) => eb.fn.max('version').as('newest'))
    .where('source', '=', source)
    .where((eb) => eb.or([eb('record_key', '=', recordKey), eb(sql`substr(record_key, 1, ${[...prefix].length})`, '=', prefix)]))
    .executeTakeFirst();
  return row?.newest === null || row?.newest === undefined ? null : Number(row.newest);
}

/**
 * Records `version` for each of `keys` where no newer one is there, in one statement; the keys
 * it was recorded for (current). Two processes at once cannot both win a key.
 */
async function claimVersions(db: Db, source: string, keys: readonly string[], version: number): Promise<Set<string>> {
  const taken = await db.kysely.insertInto('crm_versions')
    .values(keys.map((key) => ({ source, record_key: key, version })))
    .onConflict((oc) => oc.columns(['source', 'record_key'])
      .doUpdateSet((eb) => ({ version: eb.ref('excluded.version') }))
      .where(sql<boolean>`excluded.version >= crm_versions.version`))
    .returning('record_key')
    .execute();
  return new Set(taken.map((row) => row.record_key));
}

/**
 * Per field of one record: records `version` (epoch ms) as the newest seen for each of `fields`
 * unless a newer one is already there, in one statement; returns the fields a newer change already
 * wrote (stale), which the caller leaves as stored. Per field, so an older change of one field
 * still lands after a newer change of another (two property changes of a deal, sent at once).
 */
export async function claimFieldVersions(db: Db, source: string, record: string, fields: readonly string[], version: number): Promise<string[]> {
  if (fields.length === 0) return [];
  const key = (field: string) => `${record}#${field}`;
  const current = await claimVersions(db, source, fields.map(key), version);
  return fields.filter((field) => !current.has(key(field)));
}

/**
 * Records that these deals are stored with amount 0 because `source` gave none. Written before the
 * deals themselves (or in their transaction), so a crash between leaves a row too many, which
 * only makes a later amount-less move to won refused, never one too few, which would pay on 0.
 */
export async function markAmountStandIns(db: Db, source: string, deals: readonly string[], now = new Date().toISOString()): Promise<void> {
  for (let i = 0; i < deals.length; i += 500) {
    await db.kysely.insertInto('crm_amount_standins')
      .values(deals.slice(i, i + 500).map((deal) => ({ deal, source, recorded_at: now })))
      .onConflict((oc) => oc.column('deal').doUpdateSet((eb) => ({ source: eb.ref('excluded.source'), recorded_at: eb.ref('excluded.recorded_at') })))
      .execute();
  }
}

/** The CRM gave these deals an amount (0 included): their stored amount is no stand-in any more. */
export async function clearAmountStandIns(db: Db, deals: readonly string[]): Promise<void> {
  for (let i = 0; i < deals.length; i += 500) {
    await db.kysely.deleteFrom('crm_amount_standins').where('deal', 'in', deals.slice(i, i + 500)).execute();
  }
}

/** Whether the deal was recorded as stored without an amount (meaningful while its stored amount is 0). */
export async function hasAmountStandIn(db: Db, deal: string): Promise<boolean> {
  return (await db.kysely.selectFrom('crm_amount_standins').select('deal').where('deal', '=', deal).executeTakeFirst()) !== undefined;
}
