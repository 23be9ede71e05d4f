// Accepted CRM events, once each by id. Recording an event also stores the entity it carries, in
// the same transaction, so a duplicate delivery changes nothing at all — also when two processes
// receive it at once: the INSERT ... ON CONFLICT DO NOTHING decides which one stores it.
import type { CrmEvent } from '../events/schema.js';
import { countOf, sql, transaction, type Db } from './db.js';
import { upsertDeal } from './deals.js';
import { upsertLead } from './leads.js';

export type EventOutcome = 'new' | 'duplicate';

/**
 * `entityStored`: the caller already wrote the entity (routeEvent does, before routing, with the
 * sender's left-out fields and the per-field order applied). It is not written again here: a
 * newer event of the same record routed meanwhile (another serve process, during this one's round
 * trip to Temporal) would get this older event's values put back over its own.
 */
export async function recordEventOnce(db: Db, event: CrmEvent, now = new Date().toISOString(), entityStored = false): Promise<EventOutcome> {
  return transaction(db, async (tx): Promise<EventOutcome> => {
    const inserted = await tx.kysely.insertInto('events')
      .values({ id: event.id, type: event.type, occurred_at: event.occurred_at, payload: JSON.stringify(event), received_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return 'duplicate';
    if (entityStored) return 'new';
    if ('lead' in event) await upsertLead(tx, event.lead, now);
    if ('deal' in event) await upsertDeal(tx, event.deal, now);
    return 'new';
  });
}

export async function getEvent(db: Db, id: string): Promise<CrmEvent | null> {
  const row = await db.kysely.selectFrom('events').select('payload').where('id', '=', id).executeTakeFirst();
  return row ? (JSON.parse(row.payload) as CrmEvent) : null;
}

/** Whether an event with this id was recorded (taken once: a repeat of it changes nothing). */
export async function eventRecorded(db: Db, id: string): Promise<boolean> {
  return (await db.kysely.selectFrom('events').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function countEvents(db: Db): Promise<number> {
  return countOf(db, sql`SELECT count(*) FROM events`);
}
