// The leads store. Rows are LeadRecord exactly.
import type { LeadRecord } from '../plan/records.js';
import { columnsOf, withoutKept, type Db } from './db.js';
import { emailKey } from './email-key.js';
import type { UpsertOutcome } from './reps.js';
import type { LeadsTable } from './schema.js';

export const leadColumns = ['id', 'name', 'email', 'company', 'source', 'stage', 'owner', 'timezone', 'score'] as const;

/**
 * Insert or update a lead. `keep`: fields the sender left out, which an update leaves as stored (the
 * database keeps them, so a concurrent writer's value of such a field is never overwritten by this one).
 */
export async function upsertLead(db: Db, lead: LeadRecord, now = new Date().toISOString(), keep: readonly string[] = []): Promise<UpsertOutcome> {
  const exists = await db.kysely.selectFrom('leads').select('id').where('id', '=', lead.id).executeTakeFirst();
  await leadUpsert(db, lead, now, keep).execute();
  return exists ? 'updated' : 'inserted';
}

/**
 * As upsertLead, and the lead as the same statement left it: the kept fields as stored, the others
 * as written. What an event is routed by, read without a second statement another process could
 * write between.
 */
export async function upsertLeadAsStored(db: Db, lead: LeadRecord, keep: readonly string[], now = new Date().toISOString()): Promise<LeadRecord> {
  return (await leadUpsert(db, lead, now, keep).returning(leadColumns).executeTakeFirstOrThrow()) as LeadRecord;
}

function leadUpsert(db: Db, lead: LeadRecord, now: string, keep: readonly string[]) {
  // The key goes with the address it is of (kept together when the sender left the address out).
  const kept = keep.includes('email') ? [...keep, 'email_key'] : keep;
  return db.kysely.insertInto('leads').values({ ...columnsOf(lead, leadColumns), email_key: emailKey(lead.email), updated_at: now } as LeadsTable)
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => withoutKept({
      name: eb.ref('excluded.name'), email: eb.ref('excluded.email'), email_key: eb.ref('excluded.email_key'), company: eb.ref('excluded.company'),
      source: eb.ref('excluded.source'), stage: eb.ref('excluded.stage'), owner: eb.ref('excluded.owner'),
      timezone: eb.ref('excluded.timezone'), score: eb.ref('excluded.score'), updated_at: eb.ref('excluded.updated_at'),
    }, kept)));
}

export async function getLead(db: Db, id: string): Promise<LeadRecord | null> {
  const row = await db.kysely.selectFrom('leads').select(leadColumns).where('id', '=', id).executeTakeFirst();
  return (row as LeadRecord | undefined) ?? null;
}

/** Every lead with the address, compared by emailKey: one person may be several leads. */
export async function getLeadsByEmail(db: Db, email: string): Promise<LeadRecord[]> {
  return (await db.kysely.selectFrom('leads').select(leadColumns)
    .where('email_key', '=', emailKey(email)).orderBy('id').execute()) as LeadRecord[];
}

/** The first lead with the address (by id), for callers that need one record to render with. */
export async function getLeadByEmail(db: Db, email: string): Promise<LeadRecord | null> {
  const row = await db.kysely.selectFrom('leads').select(leadColumns)
    .where('email_key', '=', emailKey(email)).orderBy('id').limit(1).executeTakeFirst();
  return (row as LeadRecord | undefined) ?? null;
}
