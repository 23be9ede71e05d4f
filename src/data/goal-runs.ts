// Which goal runs have begun, per (goal, period, rep): the goal workflow's first activity records
// its run, and a goal schedule's daily pass leaves out the reps already recorded for the period under
// way, so it starts only the runs missing (a rep imported mid-period) rather than trying every rep
// each day and relying on Temporal to refuse the duplicates.
//
// Written after the run exists (by the run itself), never before its start: a crash between the two
// leaves a run without a row, which the next pass tries again and Temporal refuses (the run's id is
// per goal, rep and period), then the row is written. The primary key makes two workers one row.
import type { Db } from './db.js';

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
