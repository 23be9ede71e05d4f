// Statements of one incentive rule for every rep it selects in a period: the reps, their facts,
// then the pure statement function per rep. Used by `simulate`, `salesflow test` and the payout
// activity (with a single rep), so all three compute the same thing the same way.
//
// For all reps, the selected reps (only the columns a statement reads) and the grouped scan of
// their facts are both read in id order, side by side, and each statement is computed as its
// rep arrives: no list of reps or map of facts is built. Rules whose rep condition SQL cannot
// take, and explicit rep lists, go the general way (reps, one batch of facts, statements).
import { holds } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { Expr, IncentiveRule } from '../plan/schema.js';
import { statementWindow } from '../payouts/facts.js';
import { computeStatement, type Statement } from '../payouts/statement.js';
import { countOf, sql, type Db } from './db.js';
import { streamRows } from './dialect.js';
import { creditedCursor, type CreditedCursor } from './credited.js';
import { ownDealsOutsideEmployment, withOwnOutside } from './employment.js';
import { gatherFacts, metricQueryOf, metricsOfRule } from './facts.js';
import { metricsCursor } from './metrics.js';
import { findRepsWhere, repColumns } from './reps.js';
import { conditionToSql } from './sql-condition.js';

export interface PeriodStatementsOptions {
  /** Only these reps (still filtered by the rule's `for reps where`); all reps when omitted. */
  reps?: RepRecord[];
  /** Called now and then with (done, total) while statements are computed. */
  onProgress?: (done: number, total: number) => void;
}

export type PeriodStatements =
  | { ok: true; statements: Statement[] }
  | { ok: false; message: string };

/** How many statements were handed over, or why none could be computed (before any was). */
export type PeriodStatementsRun =
  | { ok: true; count: number }
  | { ok: false; message: string };

/** Every statement of the period collected in rep id order (tests, `salesflow test`, the payout activity). */
export async function statementsForPeriod(
  db: Db,
  rule: IncentiveRule,
  period: string,
  options: PeriodStatementsOptions = {},
): Promise<PeriodStatements> {
  const statements: Statement[] = [];
  const run = await eachStatementForPeriod(db, rule, period, (s) => { statements.push(s); }, options);
  return run.ok ? { ok: true, statements } : run;
}

/**
 * Each statement of the period handed to `each` as soon as it is computed, in rep id order, and
 * not kept: `simulate` writes it out and lets it go, so 100k reps need the memory of one. A
 * problem with the rule or period (effective dates, window) is returned before the first
 * statement, so a caller never has to take back output it already wrote.
 */
export async function eachStatementForPeriod(
  db: Db,
  rule: IncentiveRule,
  period: string,
  each: (statement: Statement) => void,
  options: PeriodStatementsOptions = {},
): Promise<PeriodStatementsRun> {
  if (!options.reps) {
    const streamed = await streamedStatements(db, rule, period, each, options.onProgress);
    if (streamed) return streamed;
  }
  const selected = options.reps
    ? options.reps.filter((rep) => holds(rule.reps, { rep }))
    : await findRepsWhere(db, rule.reps);
  const gathered = await gatherFacts(db, rule, selected, period);
  if (!gathered.ok) return gathered;
  const step = Math.max(1, Math.floor(selected.length / 200));
  selected.forEach((rep, i) => {
    each(computeStatement(rule, rep, period, gathered.facts.get(rep.id)!));
    if (options.onProgress && (i % step === 0 || i === selected.length - 1)) options.onProgress(i + 1, selected.length);
  });
  return { ok: true, count: selected.length };
}

/** Rep fields an expression reads. */
function repFields(expr: Expr | null | undefined, into: Set<string>): Set<string> {
  if (!expr) return into;
  switch (expr.kind) {
    case 'field': if (expr.entity === 'rep') into.add(expr.field); break;
    case 'binary': repFields(expr.left, into); repFields(expr.right, into); break;
    case 'not': case 'neg': repFields(expr.operand, into); break;
    case 'in': repFields(expr.operand, into); expr.items.forEach((i) => repFields(i, into)); break;
    default: break;
  }
  return into;
}

/** The rep columns a statement reads: id and name, and whatever its bonus and reward conditions read. */
function statementRepColumns(rule: IncentiveRule): string[] {
  const read = new Set<string>();
  for (const b of rule.bonuses) repFields(b.when, read);
  for (const r of rule.rewards) repFields(r.when, read);
  // Proration reads the employment dates.
  if (rule.prorate) { read.add('start_date'); read.add('end_date'); }
  return ['id', 'name', ...repColumns.filter((c) => c !== 'id' && c !== 'name' && read.has(c))];
}

/**
 * A rep from a row of the given columns (id and name first). The statement reads only these
 * fields, so only they are filled in; the others are null.
 */
function repOf(columns: readonly string[], row: unknown[]): RepRecord {
  const rep: Record<string, unknown> = {
    id: row[0], name: row[1], email: null, team: null, role: null, region: null, manager: null, timezone: null, start_date: null,
  };
  for (let i = 2; i < columns.length; i++) rep[columns[i]] = row[i];
  return rep as RepRecord;
}

/** Reps and facts read side by side in id order, or null when the rule needs the general way. */
async function streamedStatements(
  db: Db,
  rule: IncentiveRule,
  period: string,
  each: (statement: Statement) => void,
  onProgress: PeriodStatementsOptions['onProgress'],
): Promise<PeriodStatementsRun | null> {
  const where = rule.reps ? conditionToSql(rule.reps) : null;
  if (rule.reps && (!where || where.usesDeal)) return null;
  const span = statementWindow(rule, period);
  if (!span.ok) return span;
  const { window } = span;
  // Credited and converted deals come grouped by the credited rep (src/data/credited.ts); rules
  // that cursor cannot serve (team or overlay credit, JS-only conditions) take the general way.
  let credited: CreditedCursor | null = null;
  if (rule.credit || rule.convert) {
    credited = await creditedCursor(db, rule, window, metricsOfRule(rule));
    if (!credited) return null;
  }
  // Once the streamed way is taken (the general way reads them itself), before any scan streams:
  // only reps hired or gone inside the window (nearly always none).
  const outside = await ownDealsOutsideEmployment(db, rule, window, null);
  const condition = sql.raw(where?.sql ?? 'TRUE');
  const columns = statementRepColumns(rule);
  const total = onProgress ? await countOf(db, sql`SELECT COUNT(*) FROM reps r WHERE ${condition}`) : 0;
  const step = Math.max(1, Math.floor(total / 200));
  const reps = sql`SELECT ${sql.raw(columns.map((c) => `r."${c}"`).join(', '))} FROM reps r WHERE ${condition} ORDER BY r.id`;
  const cursor = credited ? null : await metricsCursor(db, metricQueryOf(rule, window));
  // The checker resolves every metric name; an unknown one here is a plan bug.
  if (cursor?.unknown.length) {
    await cursor.close();
    throw new Error(`incentive ${rule.id}: unknown metrics ${cursor.unknown.join(', ')}`);
  }
  let count = 0;
  try {
    for await (const batch of streamRows(db, reps.compile(db.kysely), 5000)) {
      for (const row of batch) {
        const rep = repOf(columns, row);
        if (credited) {
          const pending = credited.forRep(rep);
          const facts = pending instanceof Promise ? await pending : pending;
          each(computeStatement(rule, rep, period, outside.size ? withOwnOutside(facts, outside.get(rep.id)) : facts));
        } else {
          const pending = cursor!.forRep(rep.id);
          const m = pending instanceof Promise ? await pending : pending;
          const facts = { window, metrics: m.metrics, spiffDeals: m.spiffDeals, leftOut: m.leftOut };
          each(computeStatement(rule, rep, period, outside.size ? withOwnOutside(facts, outside.get(rep.id)) : facts));
        }
        count++;
        if (onProgress && count % step === 0) onProgress(count, Math.max(total, count));
      }
    }
  } finally {
    await (credited ?? cursor!).close();
  }
  if (onProgress && count % step !== 0) onProgress(count, Math.max(total, count));
  return { ok: true, count };
}
