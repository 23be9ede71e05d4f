// The payout ledger: one entry per (rule, rule version, rep, period), enforced by a UNIQUE key, so
// whatever retries, restarts or double clicks happen, a payout is recorded once.
import { prepared, type Db } from './db.js';
import { formatCsv } from './csv.js';
import { toMicros } from './micros.js';

export interface Payout {
  ruleId: string;
  ruleName: string;
  ruleVersion: string;
  rep: string;
  period: string;
  currency: string;
  /** Decimal string in major units ("15500.00"). */
  amount: string;
  approvedBy: string;
  approvedAt: string;
  workflowId: string;
  /** The plan the payout run belonged to; null for rows recorded before plans were kept. */
  planHash?: string | null;
}

export interface LedgerEntry extends Payout {
  id: number;
}

/** Record an approved payout; false when the entry already exists (nothing changes then). */
export function recordPayout(db: Db, payout: Payout): boolean {
  const micros = toMicros(payout.amount);
  if (!micros.ok) throw new Error(`payout ${payout.workflowId}: amount ${micros.message}`);
  const result = prepared(
    db,
    `INSERT INTO ledger (rule_id, rule_name, rule_version, rep, period, currency, amount, amount_micros,
                         approved_by, approved_at, workflow_id, plan_hash)
     VALUES (@ruleId, @ruleName, @ruleVersion, @rep, @period, @currency, @amount, @micros, @approvedBy, @approvedAt, @workflowId, @planHash)
     ON CONFLICT (rule_id, rule_version, rep, period) DO NOTHING`,
  ).run({ ...payout, planHash: payout.planHash ?? null, micros: micros.micros });
  return result.changes > 0;
}

const select = `SELECT id, rule_id AS ruleId, rule_name AS ruleName, rule_version AS ruleVersion, rep, period, currency,
  amount, approved_by AS approvedBy, approved_at AS approvedAt, workflow_id AS workflowId, plan_hash AS planHash FROM ledger`;

/** Approved payouts of a period (all periods when omitted), in a stable order. */
export function exportLedger(db: Db, period?: string): LedgerEntry[] {
  return period
    ? (prepared(db, `${select} WHERE period = ? ORDER BY rule_id, rep, id`).all(period) as LedgerEntry[])
    : (prepared(db, `${select} ORDER BY period, rule_id, rep, id`).all() as LedgerEntry[]);
}

export function findPayout(db: Db, key: { ruleId: string; ruleVersion: string; rep: string; period: string }): LedgerEntry | null {
  const row = prepared(db, `${select} WHERE rule_id = @ruleId AND rule_version = @ruleVersion AND rep = @rep AND period = @period`).get(key);
  return (row as LedgerEntry | undefined) ?? null;
}

// The SPEC's columns first, in its order, so scripts reading by position keep working.
export const ledgerCsvColumns = ['rule', 'rep', 'period', 'currency', 'amount', 'approved_by', 'approved_at', 'rule_id', 'rule_version', 'plan_hash'] as const;

/** The ledger as CSV for payroll (SPEC §8). */
export function ledgerCsv(entries: LedgerEntry[]): string {
  return formatCsv(
    ledgerCsvColumns,
    entries.map((e) => [e.ruleName, e.rep, e.period, e.currency, e.amount, e.approvedBy, e.approvedAt, e.ruleId, e.ruleVersion, e.planHash ?? '']),
  );
}
