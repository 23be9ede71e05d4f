// The reps store. Rows are RepRecord (src/plan/records.ts) exactly, so the evaluator reads them as-is.
import { sql } from 'kysely';
import type { Expr } from '../plan/schema.js';
import { holds } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import { columnsOf, type Db } from './db.js';
import { emailKey } from './email-key.js';
import type { RepsTable } from './schema.js';
import { conditionToSql } from './sql-condition.js';

export const repColumns = ['id', 'name', 'email', 'team', 'role', 'region', 'manager', 'timezone', 'start_date', 'end_date'] as const;

export type UpsertOutcome = 'inserted' | 'updated';

/** Insert a rep or update it by id; says which happened. */
export async function upsertRep(db: Db, rep: RepRecord, now = new Date().toISOString()): Promise<UpsertOutcome> {
  const exists = await db.kysely.selectFrom('reps').select('id').where('id', '=', rep.id).executeTakeFirst();
  const row = { ...columnsOf(rep, repColumns), email_key: emailKey(rep.email), updated_at: now } as RepsTable;
  await db.kysely.insertInto('reps').values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      name: eb.ref('excluded.name'), email: eb.ref('excluded.email'), team: eb.ref('excluded.team'),
      email_key: eb.ref('excluded.email_key'), role: eb.ref('excluded.role'), region: eb.ref('excluded.region'), manager: eb.ref('excluded.manager'),
      timezone: eb.ref('excluded.timezone'), start_date: eb.ref('excluded.start_date'), end_date: eb.ref('excluded.end_date'),
      updated_at: eb.ref('excluded.updated_at'),
    })))
    .execute();
  return exists ? 'updated' : 'inserted';
}

export async function getRep(db: Db, id: string): Promise<RepRecord | null> {
  const row = await db.kysely.selectFrom('reps').select(repColumns).where('id', '=', id).executeTakeFirst();
  return (row as RepRecord | undefined) ?? null;
}

/** The first rep (by id) with the address, compared by emailKey (the same answer on both dialects). */
export async function getRepByEmail(db: Db, email: string): Promise<RepRecord | null> {
  const row = await db.kysely.selectFrom('reps').select(repColumns)
    .where('email_key', '=', emailKey(email)).orderBy('id').limit(1).executeTakeFirst();
  return (row as RepRecord | undefined) ?? null;
}

/** Every rep, ordered by id. */
export async function listReps(db: Db): Promise<RepRecord[]> {
  return (await db.kysely.selectFrom('reps').select(repColumns).orderBy('id').execute()) as RepRecord[];
}

/**
 * Reps a rule's `for reps where ...` selects (all reps when the condition is null). The condition
 * runs in SQL when it translates faithfully, else through the evaluator.
 */
export async function findRepsWhere(db: Db, condition: Expr | null): Promise<RepRecord[]> {
  if (!condition) return listReps(db);
  const where = conditionToSql(condition);
  if (where && !where.usesDeal) {
    return (await db.kysely.selectFrom('reps as r').select(repColumns.map((c) => `r.${c}` as const))
      .where(sql<boolean>`${sql.raw(where.sql)}`).orderBy('r.id').execute()) as RepRecord[];
  }
  return (await listReps(db)).filter((rep) => holds(condition, { rep }));
}
