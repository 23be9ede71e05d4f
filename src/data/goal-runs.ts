// Which goal runs have begun, per (goal, period, rep): the goal workflow's first activity records
// its run, and a goal schedule's daily pass leaves out the reps already recorded for the period under
// way, so it starts only the runs missing (a rep imported mid-period) rather than trying every rep
// each day and relying on Temporal to refuse the duplicates.
//
// Written after the run exists (by the run itself), never before its start: a crash between the two
// leaves a run without a row, which the next pass tries again and Temporal refuses (the run's id is
// per goal, rep and period), then the row is written. The primary key makes two workers one row.
//
// Rows of a period are read only by that period's passes, so they are forgotten once the period
// has been over for GOAL_RUNS_KEPT_DAYS (forgetGoalRunsEndedBefore): without that the table grew by
// a row per rep and period for ever.
import type { Db } from './db.js';
import { parsePeriod } from '../payouts/period.js';

/**
 * How long after a period's last day its rows are kept. A pass for a period can still come after
 * it ended: a schedule fire caught up (up to 7 days late), held back behind earlier passes or a
 * worker outage, or dated in a zone 26 hours behind EARLIEST_ZONE. Five weeks covers all of these
 * with room; the passes that clean are themselves for a later period (see dispatch.ts), so a pass
 * held back runs before any pass that could forget its rows.
 */
export const GOAL_RUNS_KEPT_DAYS = 35;

export async function recordGoalRunStarted(db: Db, run: { ruleId: string; period: string; repId: string }, at: Date): Promise<void> {
  await db.kysely.insertInto('goal_runs_started')
    .values({ rule_id: run.ruleId, period: run.period, rep_id: run.repId, started_at: at.toISOString() })
    .onConflict((oc) => oc.columns(['rule_id', 'period', 'rep_id']).doNothing())
    .execute();
}

/** The reps among `repIds` whose run of the goal (under any of `ruleIds`, its former ids too) for the period has begun. */
export async function goalRunsStartedAmong(db: Db, ruleIds: readonly string[], period: string, repIds: readonly string[]): Promise<Set<string>> {
  const started = new Set<string>();
  // PostgreSQL takes at most 65535 parameters a statement; a dispatch chunk is 1000 reps.
  for (let i = 0; i < repIds.length; i += 1000) {
    const rows = await db.kysely.selectFrom('goal_runs_started').select('rep_id')
      .where('rule_id', 'in', ruleIds).where('period', '=', period).where('rep_id', 'in', repIds.slice(i, i + 1000)).execute();
    for (const row of rows) started.add(row.rep_id);
  }
  return started;
}

/** Whether any run of the rules (a goal's id and former ids) is recorded for the period. */
export async function anyGoalRunStarted(db: Db, ruleIds: readonly string[], period: string): Promise<boolean> {
  const row = await db.kysely.selectFrom('goal_runs_started').select('rep_id')
    .where('rule_id', 'in', ruleIds).where('period', '=', period).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Forgets the runs begun of every period (of any goal, removed ones too) whose last day is before
 * `day` (YYYY-MM-DD); returns how many rows went. A label that is not a period is left alone.
 */
export async function forgetGoalRunsEndedBefore(db: Db, day: string): Promise<number> {
  const periods = await db.kysely.selectFrom('goal_runs_started').select('period').distinct().execute();
  const ended = periods.map((row) => row.period).filter((label) => {
    const parsed = parsePeriod(label);
    return parsed.ok && parsed.period.end < day;
  });
  let forgotten = 0;
  for (let i = 0; i < ended.length; i += 1000) {
    const result = await db.kysely.deleteFrom('goal_runs_started').where('period', 'in', ended.slice(i, i + 1000)).executeTakeFirst();
    forgotten += Number(result.numDeletedRows);
  }
  return forgotten;
}
