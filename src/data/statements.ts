// Recorded statements: one row per payout run (workflow id `payout:<rule>:<rep>:<period>`),
// recorded even when there is nothing to pay. A decision is taken once: only a pending statement
// can become approved or rejected (a conditional UPDATE, so two deciders cannot both win).
import type { Statement } from '../payouts/statement.js';
import type { Db } from './db.js';
import { toMicros } from './micros.js';
import type { StatementsTable } from './schema.js';

export type StatementStatus = 'recorded' | 'pending' | 'approved' | 'rejected';

export interface StoredStatement {
  workflowId: string;
  status: StatementStatus;
  statement: Statement;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

const changed = (result: { numInsertedOrUpdatedRows?: bigint; numUpdatedRows?: bigint }) =>
  Number(result.numInsertedOrUpdatedRows ?? result.numUpdatedRows ?? 0) > 0;

/** Record a statement once; a retried call finds the existing row and changes nothing. */
export async function recordStatement(
  db: Db,
  workflowId: string,
  statement: Statement,
  status: 'recorded' | 'pending',
  now = new Date().toISOString(),
  /** The plan the payout run belongs to (src/data/plans.ts); null when unknown. */
  planHash: string | null = null,
): Promise<boolean> {
  const micros = toMicros(statement.total);
  if (!micros.ok) throw new Error(`statement ${workflowId}: total ${micros.message}`);
  const result = await db.kysely.insertInto('statements').values({
    workflow_id: workflowId, rule_id: statement.ruleId, rule_name: statement.rule, rule_version: statement.ruleVersion,
    rep: statement.rep, period: statement.period, currency: statement.currency, total: statement.total,
    total_micros: micros.micros.toString(), statement: JSON.stringify(statement), status, decided_by: null, decided_at: null,
    reason: null, created_at: now, updated_at: now, plan_hash: planHash,
  }).onConflict((oc) => oc.column('workflow_id').doNothing()).executeTakeFirst();
  return changed(result);
}

/** Approve or reject a pending statement; false when it was already decided (or never pending). */
export async function decideStatement(
  db: Db,
  workflowId: string,
  decision: { status: 'approved' | 'rejected'; by: string; reason?: string | null },
  now = new Date().toISOString(),
): Promise<boolean> {
  const result = await db.kysely.updateTable('statements')
    .set({ status: decision.status, decided_by: decision.by, decided_at: now, reason: decision.reason ?? null, updated_at: now })
    .where('workflow_id', '=', workflowId).where('status', '=', 'pending')
    .executeTakeFirst();
  return changed(result);
}

const decode = (row: StatementsTable): StoredStatement => ({
  workflowId: row.workflow_id,
  status: row.status as StatementStatus,
  statement: JSON.parse(row.statement) as Statement,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  reason: row.reason,
});

export async function getStatement(db: Db, workflowId: string): Promise<StoredStatement | null> {
  const row = await db.kysely.selectFrom('statements').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
  return row ? decode(row) : null;
}

export async function listStatements(db: Db, filter: { period?: string; ruleId?: string } = {}): Promise<StoredStatement[]> {
  let query = db.kysely.selectFrom('statements').selectAll();
  if (filter.period !== undefined) query = query.where('period', '=', filter.period);
  if (filter.ruleId !== undefined) query = query.where('rule_id', '=', filter.ruleId);
  return (await query.orderBy('period').orderBy('rule_id').orderBy('rep').execute()).map(decode);
}

/** The attempt number of a payout run id (`…:attempt-3` is 3; the period's first run is 1). */
function attemptOf(workflowId: string): number {
  const match = /:attempt-(\d+)$/.exec(workflowId);
  return match ? Number(match[1]) : 1;
}

/**
 * Pending statements (of a period, or all), without those a later attempt of the same rule, rep
 * and period replaced: a run that ended before its decision leaves its statement pending for good,
 * and `payouts run` starts the next attempt beside it; only the newest one can still be decided.
 */
export async function waitingStatements(db: Db, period?: string): Promise<StoredStatement[]> {
  let pending = db.kysely.selectFrom('statements').selectAll().where('status', '=', 'pending');
  if (period !== undefined) pending = pending.where('period', '=', period);
  const rows = (await pending.orderBy('period').orderBy('rule_id').orderBy('rep').execute()).map(decode);
  if (rows.length === 0) return rows;
  // Every attempt of those reps' periods, whatever its state (a later one may be recorded or decided).
  let attempts = db.kysely.selectFrom('statements').select(['rule_id', 'rep', 'period', 'workflow_id']);
  if (period !== undefined) attempts = attempts.where('period', '=', period);
  const newest = new Map<string, number>();
  for (const row of await attempts.execute()) {
    const key = JSON.stringify([row.rule_id, row.rep, row.period]);
    newest.set(key, Math.max(newest.get(key) ?? 0, attemptOf(row.workflow_id)));
  }
  return rows.filter((s) => attemptOf(s.workflowId) >= (newest.get(JSON.stringify([s.statement.ruleId, s.statement.rep, s.statement.period])) ?? 0));
}

/** Statements of a period still waiting for a decision (their payouts are not in the ledger yet). */
export async function pendingStatements(db: Db, period: string): Promise<{ rule: string; rep: string; workflowId: string }[]> {
  return (await waitingStatements(db, period)).map((s) => ({ rule: s.statement.rule, rep: s.statement.rep, workflowId: s.workflowId }));
}

/**
 * Statements of a period rejected and not run again: the rule and rep have no other statement of
 * the period (`payouts run --rerun-rejected` records a new attempt beside the rejected one).
 */
export async function rejectedNotRunAgain(db: Db, period: string): Promise<{ rule: string; rep: string }[]> {
  return db.kysely.selectFrom('statements as s').select(['s.rule_name as rule', 's.rep']).where('s.period', '=', period)
    .where('s.status', '=', 'rejected')
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('statements as later').select('later.workflow_id').whereRef('later.rule_id', '=', 's.rule_id')
        .whereRef('later.rep', '=', 's.rep').whereRef('later.period', '=', 's.period').where('later.status', '!=', 'rejected'),
    )))
    .orderBy('s.rule_id').orderBy('s.rep').execute();
}
