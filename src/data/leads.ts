// The leads store. Rows are LeadRecord exactly.
import type { LeadRecord } from '../plan/records.js';
import { prepared, type Db } from './db.js';
import type { UpsertOutcome } from './reps.js';

export const leadColumns = ['id', 'name', 'email', 'company', 'source', 'stage', 'owner', 'timezone', 'score'] as const;

const selectList = leadColumns.join(', ');

export function upsertLead(db: Db, lead: LeadRecord, now = new Date().toISOString()): UpsertOutcome {
  const exists = prepared(db, 'SELECT 1 FROM leads WHERE id = ?').pluck().get(lead.id) !== undefined;
  prepared(db, 
    `INSERT INTO leads (${selectList}, updated_at)
     VALUES (@id, @name, @email, @company, @source, @stage, @owner, @timezone, @score, @updated_at)
     ON CONFLICT(id) DO UPDATE SET
       name = excluded.name, email = excluded.email, company = excluded.company, source = excluded.source,
       stage = excluded.stage, owner = excluded.owner, timezone = excluded.timezone, score = excluded.score,
       updated_at = excluded.updated_at`,
  ).run({ ...lead, updated_at: now });
  return exists ? 'updated' : 'inserted';
}

export function getLead(db: Db, id: string): LeadRecord | null {
  return (prepared(db, `SELECT ${selectList} FROM leads WHERE id = ?`).get(id) as LeadRecord | undefined) ?? null;
}

/** Every lead with the address, compared case-insensitively: one person may be several leads. */
export function getLeadsByEmail(db: Db, email: string): LeadRecord[] {
  return prepared(db, `SELECT ${selectList} FROM leads WHERE lower(email) = lower(?) ORDER BY id`).all(email.trim()) as LeadRecord[];
}

/** The first lead with the address (by id), for callers that need one record to render with. */
export function getLeadByEmail(db: Db, email: string): LeadRecord | null {
  const row = prepared(db, `SELECT ${selectList} FROM leads WHERE lower(email) = lower(?) ORDER BY id LIMIT 1`).get(email);
  return (row as LeadRecord | undefined) ?? null;
}
