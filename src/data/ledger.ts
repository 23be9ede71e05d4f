// The payout ledger: one entry per (rule, rule version, rep, period), enforced by a UNIQUE key, so
// whatever retries, restarts, double clicks or concurrent workers happen, a payout is recorded once
// (INSERT ... ON CONFLICT DO NOTHING: the database decides, no read-then-write).
import { type Db, readSnapshot } from './db.js';
import { formatCsv } from './csv.js';
import { approvalEmailRecorded } from './outbox.js';
import { pendingStatements, rejectedNotRunAgain } from './statements.js';
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
export async function recordPayout(db: Db, payout: Payout): Promise<boolean> {
  const micros = toMicros(payout.amount);
  if (!micros.ok) throw new Error(`payout ${payout.workflowId}: amount ${micros.message}`);
  const result = await db.kysely.insertInto('ledger').values({
    rule_id: payout.ruleId, rule_name: payout.ruleName, rule_version: payout.ruleVersion, rep: payout.rep,
    period: payout.period, currency: payout.currency, amount: payout.amount, amount_micros: micros.micros.toString(),
    approved_by: payout.approvedBy, approved_at: payout.approvedAt, workflow_id: payout.workflowId,
    plan_hash: payout.planHash ?? null,
  }).onConflict((oc) => oc.columns(['rule_id', 'rule_version', 'rep', 'period']).doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

function selectEntries(db: Db) {
  return db.kysely.selectFrom('ledger').select([
    'id', 'rule_id as ruleId', 'rule_name as ruleName', 'rule_version as ruleVersion', 'rep', 'period', 'currency',
    'amount', 'approved_by as approvedBy', 'approved_at as approvedAt', 'workflow_id as workflowId', 'plan_hash as planHash',
  ]);
}

// Ids are int8 on PostgreSQL (text from `pg`); a ledger never holds 2^53 rows.
const entry = (row: Omit<LedgerEntry, 'id'> & { id: unknown }): LedgerEntry => ({ ...row, id: Number(row.id) });

/** Approved payouts of a period (all periods when omitted), in a stable order. */
export async function exportLedger(db: Db, period?: string): Promise<LedgerEntry[]> {
  const rows = period !== undefined
    ? await selectEntries(db).where('period', '=', period).orderBy('rule_id').orderBy('rep').orderBy('id').execute()
    : await selectEntries(db).orderBy('period').orderBy('rule_id').orderBy('rep').orderBy('id').execute();
  return rows.map(entry);
}

export async function findPayout(db: Db, key: { ruleId: string; ruleVersion: string; rep: string; period: string }): Promise<LedgerEntry | null> {
  const row = await selectEntries(db).where('rule_id', '=', key.ruleId).where('rule_version', '=', key.ruleVersion)
    .where('rep', '=', key.rep).where('period', '=', key.period).executeTakeFirst();
  return row ? entry(row) : null;
}

// The SPEC's columns first, in its order, so scripts reading by position keep working.
// Then `rewards`: the non-monetary rewards the approved statement grants ("Extra day off"; several
// joined by "; "), so whoever grants them sees them next to the money (a reward-only statement is
// a 0.00 row, which would otherwise read as nothing at all). plan_hash stays last, as before.
export const ledgerCsvColumns = ['rule', 'rep', 'period', 'currency', 'amount', 'approved_by', 'approved_at', 'rewards', 'rule_id', 'rule_version', 'plan_hash'] as const;

/** The rewards of each ledger entry's statement of a period, by workflow id (the statement is recorded before its payout). */
export async function ledgerRewards(db: Db, period: string): Promise<Map<string, string[]>> {
  const rows = await db.kysely.selectFrom('ledger').innerJoin('statements', 'statements.workflow_id', 'ledger.workflow_id')
    .select(['ledger.workflow_id as workflowId', 'statements.statement as statement']).where('ledger.period', '=', period).execute();
  const rewards = new Map<string, string[]>();
  for (const row of rows) {
    const parsed = JSON.parse(row.statement) as { rewards?: unknown };
    if (Array.isArray(parsed.rewards)) rewards.set(row.workflowId, parsed.rewards.map(String));
  }
  return rewards;
}

/**
 * A text cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+1+cmd|...`, `@SUM(...)`,
 * and `-` too) gets a leading apostrophe, as OWASP advises for CSV that people open in Excel or
 * Sheets: payroll opens this file, and rep ids and rule names come from CRM imports and rule
 * authors. The SPEC is silent; shown text beats a formula that runs. Only text columns pass through
 * here: amounts stay plain decimals ("-25.00" is a number, not a formula), so sums still work.
 */
export function spreadsheetText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The ledger as CSV for payroll (SPEC §8). */
export function ledgerCsv(entries: LedgerEntry[], rewards: Map<string, string[]> = new Map()): string {
  const t = spreadsheetText;
  return formatCsv(
    ledgerCsvColumns,
    entries.map((e) => [
      t(e.ruleName), t(e.rep), e.period, e.currency, e.amount, t(e.approvedBy), e.approvedAt,
      t((rewards.get(e.workflowId) ?? []).join('; ')), t(e.ruleId), t(e.ruleVersion), e.planHash ?? '',
    ]),
  );
}

/** What `payouts export` prints for a period, read as one snapshot (see `periodExport`). */
export interface PeriodExport {
  entries: LedgerEntry[];
  rewards: Map<string, string[]>;
  /** Statements of the period still waiting for a decision: not in the file. */
  pending: { rule: string; rep: string; workflowId: string; asked: boolean }[];
  /** Statements rejected and not run again (yet): not paid, and not in the file either. */
  rejected: { rule: string; rep: string }[];
  /** Statements of the period on record, whatever their state: none means no payout run for it yet. */
  statements: number;
}

/**
 * The approved payouts of a period with their rewards, and the statements still pending, in one
 * snapshot: read one after another, a payout approved in between (a manager clicking while payroll
 * exports) was in neither the file nor the "still await approval" note, and payroll never heard
 * of it. `afterLedgerRead` is a seam for the test of exactly that.
 */
export async function periodExport(db: Db, period: string, afterLedgerRead?: () => Promise<void>): Promise<PeriodExport> {
  return readSnapshot(db, async (tx) => {
    const entries = await exportLedger(tx, period);
    await afterLedgerRead?.();
    const rewards = await ledgerRewards(tx, period);
    const pending = [];
    for (const p of await pendingStatements(tx, period)) pending.push({ ...p, asked: await approvalEmailRecorded(tx, p.workflowId) });
    const counted = await tx.kysely.selectFrom('statements').select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('period', '=', period).executeTakeFirstOrThrow();
    return { entries, rewards, pending, rejected: await rejectedNotRunAgain(tx, period), statements: Number(counted.count) };
  });
}

/** Approved payouts per period label (every period in the ledger), for periods other than the one exported. */
export async function ledgerPeriodCounts(db: Db): Promise<{ period: string; count: number }[]> {
  const rows = await db.kysely.selectFrom('ledger').select(['period', (eb) => eb.fn.countAll<string | number>().as('count')])
    .groupBy('period').orderBy('period').execute();
  return rows.map((r) => ({ period: r.period, count: Number(r.count) }));
}
