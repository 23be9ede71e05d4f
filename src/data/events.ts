// Accepted CRM events, once each by id. Recording an event also stores the entity it carries, in
// the same transaction, so a duplicate delivery changes nothing at all — also when two processes
// receive it at once: the INSERT ... ON CONFLICT DO NOTHING decides which one stores it.
import type { CrmEvent } from '../events/schema.js';
import { countOf, sql, transaction, type Db } from './db.js';
import { upsertDeal } from './deals.js';
import { upsertLead } from './leads.js';

export type EventOutcome = 'new' | 'duplicate';

/**
 * `keep`: the entity's fields the sender left out (routing filled them in from the row as it read
 * it). They are left as stored, so a value another process wrote since that read is not put back.
 */
export async function recordEventOnce(db: Db, event: CrmEvent, now = new Date().toISOString(), keep: readonly string[] = []): Promise<EventOutcome> {
  return transaction(db, async (tx): Promise<EventOutcome> => {
    const inserted = await tx.kysely.insertInto('events')
      .values({ id: event.id, type: event.type, occurred_at: event.occurred_at, payload: JSON.stringify(event), received_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return 'duplicate';
    if ('lead' in event) await upsertLead(tx, event.lead, now, keep);
    if ('deal' in event) await upsertDeal(tx, event.deal, now, keep);
    return 'new';
  });
}

export async function getEvent(db: Db, id: string): Promise<CrmEvent | null> {
  const row = await db.kysely.selectFrom('events').select('payload').where('id', '=', id).executeTakeFirst();
  return row ? (JSON.parse(row.payload) as CrmEvent) : null;
}

export async function countEvents(db: Db): Promise<number> {
  return countOf(db, sql`SELECT count(*) FROM events`);
}
