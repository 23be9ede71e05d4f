// Statements of one incentive rule for every rep it selects in a period: the reps, one batch of
// facts, then the pure statement function per rep. Used by `simulate`, `salesflow test` and the
// payout activity (with a single rep), so all three compute the same thing the same way.
import { holds } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import { computeStatement, type Statement } from '../payouts/statement.js';
import type { Db } from './db.js';
import { gatherFacts } from './facts.js';
import { findRepsWhere } from './reps.js';

export interface PeriodStatementsOptions {
  /** Only these reps (still filtered by the rule's `for reps where`); all reps when omitted. */
  reps?: RepRecord[];
  /** Called now and then with (done, total) while statements are computed. */
  onProgress?: (done: number, total: number) => void;
}

export type PeriodStatements =
  | { ok: true; statements: Statement[] }
  | { ok: false; message: string };

export function statementsForPeriod(
  db: Db,
  rule: IncentiveRule,
  period: string,
  options: PeriodStatementsOptions = {},
): PeriodStatements {
  const selected = options.reps
    ? options.reps.filter((rep) => holds(rule.reps, { rep }))
    : findRepsWhere(db, rule.reps);
  const gathered = gatherFacts(db, rule, selected, period);
  if (!gathered.ok) return gathered;
  const statements: Statement[] = [];
  const step = Math.max(1, Math.floor(selected.length / 200));
  selected.forEach((rep, i) => {
    statements.push(computeStatement(rule, rep, period, gathered.facts.get(rep.id)!));
    if (options.onProgress && (i % step === 0 || i === selected.length - 1)) options.onProgress(i + 1, selected.length);
  });
  return { ok: true, statements };
}

