// What `apply` starts besides schedules: the period under way of a goal that is new or whose period
// kind changed (`per week` → `per month`). A goal's schedule fires only when a period begins, so
// without this the month already under way would get no run, no check-ins and no review.
//
// Apply starts the schedule's dispatch workflow itself, with the rule it is applying, instead of
// triggering the schedule: a trigger right after a schedule update may still run the schedule's
// previous action (the weekly rule), so the month's runs would not start. The dispatch has one id
// per (goal, period), so two applies at once start it once; the goal runs it starts are per (goal,
// rep, period), so the schedule firing for the same period starts none of them again.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { dispatchActivities } from '../activities/dispatch.js';
import type { Db } from '../data/db.js';
import type { PeriodKind } from '../plan/catalog.js';
import type { RepRecord } from '../plan/records.js';
import type { Plan } from '../plan/schema.js';
import type { DispatchInput } from '../workflows/api.js';
import { workflowIds } from '../workflows/api.js';
import { parsePeriod } from '../payouts/period.js';
import { dispatchPeriod, periodBeforeUnderWay, periodOpenFor } from '../workflows/dispatch.js';
import type { DeclaredSchedule } from './schedule-specs.js';

export interface GoalPeriodStart {
  ruleId: string;
  ruleName: string;
  kind: PeriodKind;
  /** The period label under way in EARLIEST_ZONE at apply's clock: 2026-11, 2026-W47, … */
  period: string;
  workflowId: string;
  /** `already`: an apply (this one run again, or another at the same time) started it before. */
  outcome: 'started' | 'already';
  /** Reps the dispatch finds in the data source now (set by countMatchingReps; absent: not counted). */
  matchingReps?: number;
  /**
   * Set for the period before the one begun in EARLIEST_ZONE, still under way further west at
   * apply's clock (this ISO instant): only the reps in whose zone it had not ended then get its run.
   */
  underWayAt?: string;
}

/**
 * Starts the dispatch of `declared` (a goal's period-start schedule) for the period under way at
 * `now`, as the schedule would have at that period's start. The period is the one begun in
 * EARLIEST_ZONE, as for the schedule's own fires: each rep's run waits for its local midnight if
 * the period has not begun for the rep yet, and catches up once if it began earlier (docs/language.md).
 *
 * Applied on a period's last day west of UTC+14 (any time after 10:00 UTC on it), the period
 * begun in EARLIEST_ZONE is already the next one: the period the reps there are in is started too,
 * for them alone. Without it a goal added on 30 November in Los Angeles began with December, and
 * November's check-ins and review never ran; the daily pass completes only periods the goal ran in.
 */
export async function startGoalPeriodUnderWay(client: Client, declared: DeclaredSchedule, now: Date): Promise<GoalPeriodStart[]> {
  const { action } = declared.options;
  const scheduled = action.args?.[0] as DispatchInput | undefined;
  if (action.type !== 'startWorkflow' || !scheduled || scheduled.rule.kind !== 'goal' || !declared.goalPeriod) {
    throw new Error(`${declared.scheduleId} is not a goal's period-start schedule`);
  }
  const period = dispatchPeriod(scheduled, now.getTime());
  if (!period) throw new Error(`${declared.scheduleId}: no period under way at ${now.toISOString()}`);
  const starts = [await startDispatch(client, declared, { ...scheduled, period })];
  const before = periodBeforeUnderWay(period, now.getTime());
  if (before) {
    const underWayAt = now.toISOString();
    starts.push({ ...await startDispatch(client, declared, { ...scheduled, period: before, firedAt: underWayAt, onlyWhereUnderWay: true }), underWayAt });
  }
  return starts;
}

async function startDispatch(client: Client, declared: DeclaredSchedule, input: DispatchInput & { period: string }): Promise<GoalPeriodStart> {
  const { action } = declared.options;
  if (action.type !== 'startWorkflow' || !declared.goalPeriod) throw new Error(`${declared.scheduleId} is not a goal's period-start schedule`);
  const { period } = input;
  const workflowId = workflowIds.goalPeriodStart(declared.ruleId, period);
  const result = { ruleId: declared.ruleId, ruleName: declared.ruleName, kind: declared.goalPeriod, period, workflowId };
  try {
    await client.workflow.start('dispatchWorkflow', {
      workflowId,
      taskQueue: action.taskQueue,
      args: [input],
      // A dispatch that failed or was terminated may be started again by the next apply; one that
      // completed has started every matching rep's run for the period.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'FAIL',
      memo: { ruleVersion: declared.ruleVersion, startedBy: 'apply' },
    });
    return { ...result, outcome: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { ...result, outcome: 'already' };
    throw err;
  }
}

/**
 * Each start with the number of reps its dispatch fans out to, counted the way the dispatch does
 * (`for reps where`, employed during the period), so apply can say when a goal matched no rep: the
 * dispatch then starts nothing, and a rep imported later gets a run at the schedule's next daily pass.
 */
export async function countMatchingReps(db: Db, plan: Plan, starts: GoalPeriodStart[]): Promise<GoalPeriodStart[]> {
  const { dispatchReps } = dispatchActivities({ db });
  const counted: GoalPeriodStart[] = [];
  for (const start of starts) {
    const rule = plan.rules.find((r) => r.id === start.ruleId);
    if (!rule) {
      counted.push(start);
      continue;
    }
    // The period before, still under way west: counted as its dispatch starts them, by zone.
    const parsed = start.underWayAt ? parsePeriod(start.period) : null;
    const open = parsed?.ok && start.underWayAt
      ? (rep: RepRecord) => periodOpenFor(rep, rule.timezone, parsed.period.end, Date.parse(start.underWayAt!))
      : () => true;
    let matchingReps = 0;
    let afterRepId = '';
    for (;;) {
      const page = await dispatchReps({ rule, period: start.period, afterRepId, limit: 1000, includeStarted: true });
      if (page.reps.length === 0) break;
      matchingReps += page.reps.filter(open).length;
      afterRepId = page.reps[page.reps.length - 1].id;
    }
    counted.push({ ...start, matchingReps });
  }
  return counted;
}
