// Recorded statements: one row per payout run (workflow id `payout:<rule>:<rep>:<period>`),
// recorded even when there is nothing to pay. A decision is taken once: only a pending statement
// can become approved or rejected.
import type { Statement } from '../payouts/statement.js';
import { prepared, type Db } from './db.js';
import { toMicros } from './micros.js';

export type StatementStatus = 'recorded' | 'pending' | 'approved' | 'rejected';

export interface StoredStatement {
  workflowId: string;
  status: StatementStatus;
  statement: Statement;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

/** Record a statement once; a retried call finds the existing row and changes nothing. */
export function recordStatement(
  db: Db,
  workflowId: string,
  statement: Statement,
  status: 'recorded' | 'pending',
  now = new Date().toISOString(),
  planHash: string | null = null,
): boolean {
  const micros = toMicros(statement.total);
  if (!micros.ok) throw new Error(`statement ${workflowId}: total ${micros.message}`);
  const result = prepared(
    db,
    `INSERT INTO statements (workflow_id, rule_id, rule_name, rule_version, rep, period, currency, total, total_micros,
                             statement, status, created_at, updated_at, plan_hash)
     VALUES (@workflowId, @ruleId, @rule, @ruleVersion, @rep, @period, @currency, @total, @micros, @json, @status, @now, @now, @planHash)
     ON CONFLICT (workflow_id) DO NOTHING`,
  ).run({
    workflowId, ruleId: statement.ruleId, rule: statement.rule, ruleVersion: statement.ruleVersion, rep: statement.rep,
    period: statement.period, currency: statement.currency, total: statement.total, micros: micros.micros,
    json: JSON.stringify(statement), status, now, planHash,
  });
  return result.changes > 0;
}

/** Approve or reject a pending statement; false when it was already decided (or never pending). */
export function decideStatement(
  db: Db,
  workflowId: string,
  decision: { status: 'approved' | 'rejected'; by: string; reason?: string | null },
  now = new Date().toISOString(),
): boolean {
  const result = prepared(
    db,
    `UPDATE statements SET status = @status, decided_by = @by, decided_at = @now, reason = @reason, updated_at = @now
     WHERE workflow_id = @workflowId AND status = 'pending'`,
  ).run({ workflowId, status: decision.status, by: decision.by, reason: decision.reason ?? null, now });
  return result.changes > 0;
}

interface Row {
  workflow_id: string; status: StatementStatus; statement: string;
  decided_by: string | null; decided_at: string | null; reason: string | null;
}

const decode = (row: Row): StoredStatement => ({
  workflowId: row.workflow_id,
  status: row.status,
  statement: JSON.parse(row.statement) as Statement,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  reason: row.reason,
});

export function getStatement(db: Db, workflowId: string): StoredStatement | null {
  const row = prepared(db, 'SELECT * FROM statements WHERE workflow_id = ?').get(workflowId) as Row | undefined;
  return row ? decode(row) : null;
}

export function listStatements(db: Db, filter: { period?: string; ruleId?: string } = {}): StoredStatement[] {
  const rows = prepared(
    db,
    `SELECT * FROM statements WHERE (@period IS NULL OR period = @period) AND (@ruleId IS NULL OR rule_id = @ruleId)
     ORDER BY period, rule_id, rep`,
  ).all({ period: filter.period ?? null, ruleId: filter.ruleId ?? null }) as Row[];
  return rows.map(decode);
}
