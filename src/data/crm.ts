// What the CRM connectors keep beside the entities: each rep's CRM owner id (reps.crm_id) and the
// newest change seen per CRM record, so an older delivery never overwrites newer data.
import { prepared, type Db } from './db.js';

/**
 * The rep a CRM owner value names: by crm_id, else by email, else by name when exactly one rep
 * has it (CSV exports print owners by name, webhooks by id).
 */
export function repIdForOwner(db: Db, owner: string): string | null {
  const byCrmId = prepared(db, 'SELECT id FROM reps WHERE crm_id = ?').pluck().get(owner) as string | undefined;
  if (byCrmId !== undefined) return byCrmId;
  const byEmail = prepared(db, 'SELECT id FROM reps WHERE lower(email) = lower(?) ORDER BY id LIMIT 1').pluck().get(owner) as string | undefined;
  if (byEmail !== undefined) return byEmail;
  const byName = prepared(db, 'SELECT id FROM reps WHERE name = ? LIMIT 2').pluck().all(owner) as string[];
  return byName.length === 1 ? byName[0] : null;
}

/** Gives `crmId` to one rep; a rep that had it before (a reassigned CRM user) loses it. Call inside a transaction. */
export function setRepCrmId(db: Db, repId: string, crmId: string): void {
  prepared(db, 'UPDATE reps SET crm_id = NULL WHERE crm_id = ? AND id <> ?').run(crmId, repId);
  prepared(db, 'UPDATE reps SET crm_id = ? WHERE id = ?').run(crmId, repId);
}

export function getRepCrmId(db: Db, repId: string): string | null {
  return (prepared(db, 'SELECT crm_id FROM reps WHERE id = ?').pluck().get(repId) as string | null | undefined) ?? null;
}

/**
 * Records `version` (epoch ms) as the newest seen for a CRM record unless a newer one is already
 * there, in one statement (two servers at once cannot both win). An equal version is a repeat of
 * the same change and passes: its event id then decides whether it is a duplicate.
 */
export function claimRecordVersion(db: Db, source: string, recordKey: string, version: number): 'current' | 'stale' {
  const result = prepared(db,
    `INSERT INTO crm_versions (source, record_key, version) VALUES (?, ?, ?)
     ON CONFLICT (source, record_key) DO UPDATE SET version = excluded.version
     WHERE excluded.version >= crm_versions.version`,
  ).run(source, recordKey, version);
  return result.changes > 0 ? 'current' : 'stale';
}
