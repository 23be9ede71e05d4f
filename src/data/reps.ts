// The reps store. Rows are RepRecord (src/plan/records.ts) exactly, so the evaluator reads them as-is.
import type { Expr } from '../plan/schema.js';
import { holds } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import { prepared, type Db } from './db.js';
import { conditionToSql } from './sql-condition.js';

export const repColumns = ['id', 'name', 'email', 'team', 'role', 'region', 'manager', 'timezone', 'start_date', 'end_date'] as const;

export type UpsertOutcome = 'inserted' | 'updated';

const selectList = repColumns.join(', ');

/** Insert a rep or update it by id; says which happened. */
export function upsertRep(db: Db, rep: RepRecord, now = new Date().toISOString()): UpsertOutcome {
  const exists = prepared(db, 'SELECT 1 FROM reps WHERE id = ?').pluck().get(rep.id) !== undefined;
  prepared(db, 
    `INSERT INTO reps (${selectList}, updated_at)
     VALUES (@id, @name, @email, @team, @role, @region, @manager, @timezone, @start_date, @end_date, @updated_at)
     ON CONFLICT(id) DO UPDATE SET
       name = excluded.name, email = excluded.email, team = excluded.team, role = excluded.role,
       region = excluded.region, manager = excluded.manager, timezone = excluded.timezone,
       start_date = excluded.start_date, end_date = excluded.end_date, updated_at = excluded.updated_at`,
  ).run({ ...rep, end_date: rep.end_date ?? null, updated_at: now });
  return exists ? 'updated' : 'inserted';
}

export function getRep(db: Db, id: string): RepRecord | null {
  return (prepared(db, `SELECT ${selectList} FROM reps WHERE id = ?`).get(id) as RepRecord | undefined) ?? null;
}

export function getRepByEmail(db: Db, email: string): RepRecord | null {
  const row = prepared(db, `SELECT ${selectList} FROM reps WHERE lower(email) = lower(?) ORDER BY id LIMIT 1`).get(email);
  return (row as RepRecord | undefined) ?? null;
}

/** Every rep, ordered by id. */
export function listReps(db: Db): RepRecord[] {
  return prepared(db, `SELECT ${selectList} FROM reps ORDER BY id`).all() as RepRecord[];
}

/**
 * Reps a rule's `for reps where ...` selects (all reps when the condition is null). The condition
 * runs in SQL when it translates faithfully, else through the evaluator.
 */
export function findRepsWhere(db: Db, condition: Expr | null): RepRecord[] {
  if (!condition) return listReps(db);
  const sql = conditionToSql(condition);
  if (sql && !sql.usesDeal) {
    return db.prepare(`SELECT ${repColumns.map((c) => `r.${c}`).join(', ')} FROM reps r WHERE ${sql.sql} ORDER BY r.id`).all() as RepRecord[];
  }
  return listReps(db).filter((rep) => holds(condition, { rep }));
}
