// Activity of the dispatch workflow: the reps a scheduled run fans out to, a page at a time in id
// order (so a dispatch over many reps can continue as new between pages).
import { anyGoalRunStarted, forgetGoalRunsEndedBefore, GOAL_RUNS_KEPT_DAYS, goalRunsStartedAmong } from '../data/goal-runs.js';
import { appliedPlanHead } from '../data/plans.js';
import { repColumns } from '../data/reps.js';
import { holds } from '../plan/evaluate.js';
import { statementWindow } from '../payouts/facts.js';
import { formatDay, parseDay, parsePeriod } from '../payouts/period.js';
import type { RepRecord } from '../plan/records.js';
import type { Rule } from '../plan/schema.js';
// The applied plans' renames, as `payouts run` reads them (a rule renamed is a new id).
import { appliedFormerIds } from '../renames/former-names.js';
import type { ActivityDeps } from './deps.js';
import { employedDuring } from './goal.js';

export interface DispatchPage {
  reps: RepRecord[];
  /** Set when the rule does not apply to the period at all. */
  note: string | null;
  /**
   * The applied plan's hash now, recorded on the runs this page starts. The schedule's rule is the
   * one that plan holds: apply records the plan before it updates schedules. Null: none applied.
   */
  planHash?: string | null;
}

function repCondition(rule: Rule) {
  if (rule.kind === 'sequence') return rule.trigger.kind === 'schedule' ? rule.trigger.reps : null;
  return rule.reps;
}

export function dispatchActivities(deps: Pick<ActivityDeps, 'db'>) {
  return {
    /**
     * `includeStarted`: also the reps whose goal run for the period has begun (apply counts the
     * reps a goal matches). Without it, a goal's dispatch gets only the reps still without a run,
     * so its daily pass tries to start only those (data/goal-runs.ts).
     */
    async dispatchReps(input: {
      rule: Rule; period: string | null; afterRepId: string; limit: number; includeStarted?: boolean;
      /** Only when some run of the goal is recorded for the period (it ran then); else no reps. */
      onlyIfPeriodRan?: boolean;
    }): Promise<DispatchPage> {
      const { rule } = input;
      if (rule.kind === 'incentive' && input.period) {
        const span = statementWindow(rule, input.period);
        if (!span.ok) return { reps: [], note: span.message, planHash: null };
      }
      // Scan in id order from the cursor, a chunk at a time, so each page costs about its own
      // size rather than a pass over every rep.
      const condition = repCondition(rule);
      // A goal's period starts no run for a rep not employed on any day of it (start_date after
      // it, end_date before it): check-ins to someone who has left, or not yet joined, are noise.
      // Incentives keep every rep: proration and late clawbacks need the statement.
      const goalPeriod = rule.kind === 'goal' && input.period ? parsePeriod(input.period) : null;
      const employed = (rep: RepRecord) => !goalPeriod?.ok || employedDuring(rep, goalPeriod.period);
      // A goal renamed mid-period (otherwise the same): a rep whose run began under an old name has
      // the period's run; a second under the new name would send each email twice.
      const startedIds = rule.kind === 'goal' && input.period && !input.includeStarted
        ? [rule.id, ...await appliedFormerIds(deps.db, rule.id)]
        : null;
      // The daily pass, once per pass (its first page), forgets the runs of periods long over,
      // dated from the start of the period it is for rather than a clock: a pass held back runs
      // before any later one that could forget its own period's rows (data/goal-runs.ts).
      if (startedIds && goalPeriod?.ok && input.afterRepId === '') {
        await forgetGoalRunsEndedBefore(deps.db, formatDay(parseDay(goalPeriod.period.start)! - GOAL_RUNS_KEPT_DAYS));
      }
      // The period before a pass's own, for reps imported late: a goal that had no run then (new
      // since, or not applied) has nothing to complete; starting them would only send late alerts.
      if (input.onlyIfPeriodRan && startedIds && input.period && !await anyGoalRunStarted(deps.db, startedIds, input.period)) {
        return { reps: [], note: null, planHash: null };
      }
      const chunk = (after: string) => deps.db.kysely.selectFrom('reps').select(repColumns)
        .where('id', '>', after).orderBy('id').limit(1000).execute() as Promise<RepRecord[]>;
      const reps: RepRecord[] = [];
      let after = input.afterRepId;
      while (reps.length < input.limit) {
        const rows = await chunk(after);
        if (rows.length === 0) break;
        const started = startedIds && input.period
          ? await goalRunsStartedAmong(deps.db, startedIds, input.period, rows.map((r) => r.id))
          : null;
        for (const rep of rows) {
          if (reps.length < input.limit && !started?.has(rep.id) && holds(condition, { rep }) && employed(rep)) reps.push(rep);
        }
        after = reps.length >= input.limit ? reps[reps.length - 1].id : rows[rows.length - 1].id;
      }
      const head = await appliedPlanHead(deps.db);
      return { reps, note: null, planHash: head?.hash ?? null };
    },
  };
}
