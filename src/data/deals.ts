// The deals store. `amount` keeps the CRM's exact text; `amount_micros` is the same value as an
// int64 so metrics sum it in SQL exactly.
import type { DealRecord } from '../plan/records.js';
import { columnsOf, withoutKept, type Db } from './db.js';
import { emailKey, optionalEmailKey } from './email-key.js';
import { toMicros } from './micros.js';
import type { UpsertOutcome } from './reps.js';
import type { DealsTable } from './schema.js';

export const dealColumns = [
  'id', 'rep', 'name', 'amount', 'currency', 'stage', 'product', 'type', 'source', 'closed_at', 'contact',
] as const;

/** The row stored for a deal; its amount must already be valid (more than 6 decimals, out of range is a bug here). */
export function dealRow(deal: DealRecord, now: string): DealsTable {
  const micros = toMicros(deal.amount);
  if (!micros.ok) throw new Error(`deal ${deal.id}: amount ${micros.message}`);
  // int64 as decimal text: exact on both dialects (SQLite stores it as INTEGER by column affinity).
  return { ...columnsOf(deal, dealColumns), amount_micros: micros.micros.toString(), contact_key: optionalEmailKey(deal.contact), updated_at: now } as DealsTable;
}

/**
 * Insert or update a deal. `keep`: fields the sender left out, which an update leaves as stored (the
 * database keeps them, so a concurrent writer's value of such a field is never overwritten by this one).
 */
export async function upsertDeal(db: Db, deal: DealRecord, now = new Date().toISOString(), keep: readonly string[] = []): Promise<UpsertOutcome> {
  const exists = await db.kysely.selectFrom('deals').select('id').where('id', '=', deal.id).executeTakeFirst();
  await dealUpsert(db, deal, now, keep).execute();
  return exists ? 'updated' : 'inserted';
}

/**
 * As upsertDeal, and the deal as the same statement left it: the kept fields as stored, the others
 * as written. What an event is routed by, read without a second statement another process could
 * write between.
 */
export async function upsertDealAsStored(db: Db, deal: DealRecord, keep: readonly string[], now = new Date().toISOString()): Promise<DealRecord> {
  return (await dealUpsert(db, deal, now, keep).returning(dealColumns).executeTakeFirstOrThrow()) as DealRecord;
}

function dealUpsert(db: Db, deal: DealRecord, now: string, keep: readonly string[]) {
  const row = dealRow(deal, now);
  // The integer micros go with the amount they are of, the contact's key with the contact.
  const kept = [...keep, ...(keep.includes('amount') ? ['amount_micros'] : []), ...(keep.includes('contact') ? ['contact_key'] : [])];
  return db.kysely.insertInto('deals').values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => withoutKept({
      rep: eb.ref('excluded.rep'), name: eb.ref('excluded.name'), amount: eb.ref('excluded.amount'),
      currency: eb.ref('excluded.currency'), stage: eb.ref('excluded.stage'), product: eb.ref('excluded.product'),
      type: eb.ref('excluded.type'), source: eb.ref('excluded.source'), closed_at: eb.ref('excluded.closed_at'),
      contact: eb.ref('excluded.contact'), contact_key: eb.ref('excluded.contact_key'), amount_micros: eb.ref('excluded.amount_micros'), updated_at: eb.ref('excluded.updated_at'),
    }, kept)));
}

export async function getDeal(db: Db, id: string): Promise<DealRecord | null> {
  const row = await db.kysely.selectFrom('deals').select(dealColumns).where('id', '=', id).executeTakeFirst();
  return (row as DealRecord | undefined) ?? null;
}

/** Deals whose contact is this email, compared by emailKey (for stop events that concern a lead through its deals). */
export async function dealsByContact(db: Db, email: string): Promise<DealRecord[]> {
  return (await db.kysely.selectFrom('deals').select(dealColumns)
    .where('contact_key', '=', emailKey(email)).orderBy('id').execute()) as DealRecord[];
}

export async function dealsOfRep(db: Db, rep: string): Promise<DealRecord[]> {
  return (await db.kysely.selectFrom('deals').select(dealColumns).where('rep', '=', rep).orderBy('id').execute()) as DealRecord[];
}
