// Accepted CRM events, once each by id. Recording an event also stores the entity it carries, in
// the same transaction, so a duplicate delivery changes nothing at all.
import type { CrmEvent } from '../events/schema.js';
import { prepared, type Db } from './db.js';
import { upsertDeal } from './deals.js';
import { upsertLead } from './leads.js';

export type EventOutcome = 'new' | 'duplicate';

export function recordEventOnce(db: Db, event: CrmEvent, now = new Date().toISOString()): EventOutcome {
  return db.transaction((): EventOutcome => {
    const inserted = db
      .prepare('INSERT INTO events (id, type, occurred_at, payload, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(event.id, event.type, event.occurred_at, JSON.stringify(event), now);
    if (inserted.changes === 0) return 'duplicate';
    if ('lead' in event) upsertLead(db, event.lead, now);
    if ('deal' in event) upsertDeal(db, event.deal, now);
    return 'new';
  }).immediate();
}

export function getEvent(db: Db, id: string): CrmEvent | null {
  const payload = prepared(db, 'SELECT payload FROM events WHERE id = ?').pluck().get(id) as string | undefined;
  return payload ? (JSON.parse(payload) as CrmEvent) : null;
}

export function countEvents(db: Db): number {
  return prepared(db, 'SELECT count(*) FROM events').pluck().get() as number;
}
