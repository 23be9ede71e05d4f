// The deals store. `amount` keeps the CRM's exact text; `amount_micros` is the same value as an
// int64 so metrics sum it in SQL exactly.
import type { DealRecord } from '../plan/records.js';
import { prepared, type Db } from './db.js';
import { toMicros } from './micros.js';
import type { UpsertOutcome } from './reps.js';

export const dealColumns = [
  'id', 'rep', 'name', 'amount', 'currency', 'stage', 'product', 'type', 'source', 'closed_at', 'contact',
] as const;

const selectList = dealColumns.join(', ');

/** A deal whose amount cannot be stored exactly (more than 6 decimals, out of range) is a bug here: validate first. */
export function upsertDeal(db: Db, deal: DealRecord, now = new Date().toISOString()): UpsertOutcome {
  const micros = toMicros(deal.amount);
  if (!micros.ok) throw new Error(`deal ${deal.id}: amount ${micros.message}`);
  const exists = prepared(db, 'SELECT 1 FROM deals WHERE id = ?').pluck().get(deal.id) !== undefined;
  prepared(db, 
    `INSERT INTO deals (${selectList}, amount_micros, updated_at)
     VALUES (@id, @rep, @name, @amount, @currency, @stage, @product, @type, @source, @closed_at, @contact,
             @amount_micros, @updated_at)
     ON CONFLICT(id) DO UPDATE SET
       rep = excluded.rep, name = excluded.name, amount = excluded.amount, currency = excluded.currency,
       stage = excluded.stage, product = excluded.product, type = excluded.type, source = excluded.source,
       closed_at = excluded.closed_at, contact = excluded.contact, amount_micros = excluded.amount_micros,
       updated_at = excluded.updated_at`,
  ).run({ ...deal, amount_micros: micros.micros, updated_at: now });
  return exists ? 'updated' : 'inserted';
}

export function getDeal(db: Db, id: string): DealRecord | null {
  return (prepared(db, `SELECT ${selectList} FROM deals WHERE id = ?`).get(id) as DealRecord | undefined) ?? null;
}

/** Deals whose contact is this email (for stop events that concern a lead through its deals). */
export function dealsByContact(db: Db, email: string): DealRecord[] {
  return prepared(db, `SELECT ${selectList} FROM deals WHERE lower(contact) = lower(?) ORDER BY id`).all(email) as DealRecord[];
}

export function dealsOfRep(db: Db, rep: string): DealRecord[] {
  return prepared(db, `SELECT ${selectList} FROM deals WHERE rep = ? ORDER BY id`).all(rep) as DealRecord[];
}
