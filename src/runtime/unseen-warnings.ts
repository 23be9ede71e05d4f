// `payouts run`: a statement with nothing to pay (and no reward) is recorded without asking anyone,
// so no email carries its warnings (a deal left out for its currency, a missing exchange rate): the
// rep who closed a deal in EUR under a USD plan would be paid nothing and no one told. The command
// names those warnings instead, for runs it starts (the statement as the data computes it now,
// which is what the run records moments later) and for runs already recorded that way.
import { gatherFacts } from '../data/facts.js';
import { getStatement } from '../data/statements.js';
import type { Db } from '../data/db.js';
import { ledgerLimitMessage, pastLedgerLimit } from '../payouts/ledger-limit.js';
import { computeStatement, needsApproval } from '../payouts/statement.js';
import { grouped } from '../payouts/statement-text.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';

interface RunOfRep {
  repId: string;
  workflowId: string;
  outcome: 'started' | 'started-again' | 'already-run';
  state?: string;
}

export interface UnseenWarnings {
  /** The warnings of each run's statement that has nothing to pay, by workflow id; runs without any are left out. */
  warnings: Map<string, string[]>;
  /**
   * Runs just started whose statement total is past what payouts can record (ledger-limit.ts), by
   * workflow id, with the sentence why: the run stops without recording it, and only its history in
   * Temporal would say so.
   */
  refused: Map<string, string>;
}

/** What the runs' statements say that no email will: see UnseenWarnings. */
export async function unseenWarnings(db: Db, rule: IncentiveRule, reps: RepRecord[], period: string, runs: RunOfRep[]): Promise<UnseenWarnings> {
  const found = new Map<string, string[]>();
  const refused = new Map<string, string>();
  const started = runs.filter((r) => r.outcome !== 'already-run');
  if (started.length > 0) {
    // By id: a run for 100k reps must not look each rep up in a list.
    const startedIds = new Set(started.map((r) => r.repId));
    const startedReps = reps.filter((rep) => startedIds.has(rep.id));
    const repById = new Map(startedReps.map((rep) => [rep.id, rep]));
    const gathered = await gatherFacts(db, rule, startedReps, period);
    // A period the rule cannot pay was refused before anything started; nothing to preview then.
    if (gathered.ok) {
      for (const run of started) {
        const rep = repById.get(run.repId);
        const facts = gathered.facts.get(run.repId);
        if (!rep || !facts) continue;
        const statement = computeStatement(rule, rep, period, facts);
        if (pastLedgerLimit(statement.total)) {
          refused.set(run.workflowId, ledgerLimitMessage(grouped(statement.total, statement.currency), statement.currency));
          continue;
        }
        if (!needsApproval(statement) && statement.warnings.length > 0) found.set(run.workflowId, statement.warnings);
      }
    }
  }
  for (const run of runs.filter((r) => r.outcome === 'already-run' && r.state === 'recorded')) {
    const stored = await getStatement(db, run.workflowId);
    if (stored && stored.statement.warnings.length > 0) found.set(run.workflowId, stored.statement.warnings);
  }
  return { warnings: found, refused };
}
