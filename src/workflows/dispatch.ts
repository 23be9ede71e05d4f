// Started by the schedules (and usable by `payouts run`): one child per matching rep, with the
// deterministic ids of api.ts and REJECT_DUPLICATE, so a schedule that fires twice, a catch-up
// after an outage or a manual run never starts a second goal, payout or weekly sequence for the
// same rep and period. Children are abandoned: they outlive this short fan-out.
import {
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { parsePeriod, periodContaining, shiftPeriod } from '../payouts/period.js';
import type { RepRecord } from '../plan/records.js';
import { ACTIVITY_HEARTBEAT, workflowIds, type DispatchInput, type DispatchResult, type GoalInput, type PayoutInput, type SequenceInput } from './api.js';
import { atLocalTime, EARLIEST_ZONE, localDate, previousWeekly, zoneOr } from './calendar.js';

const { dispatchReps } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT.timeout,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const KEPT_IDS = 1000;
const PAGE = 100;
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME' as const);

/** The schedule's nominal fire time when started by one (a late catch-up still means that tick). */
function firedAt(): number {
  const nominal = workflowInfo().typedSearchAttributes.get(scheduledStartTime);
  return nominal ? nominal.getTime() : Date.now();
}

/**
 * The period a dispatch is about: the one that just ended (payouts) or just started (goals).
 * Goal schedules applied with `inRepZones` fire when a period begins in EARLIEST_ZONE; the period
 * under way there is the one every rep's run is for, each waiting for its own local midnight (up
 * to 26 hours later, so a late catch-up within the period still means that period).
 */
export function dispatchPeriod(input: DispatchInput, at: number): string | null {
  if (input.period) return input.period;
  const { rule } = input;
  if (rule.kind === 'sequence') return null;
  const zone = input.inRepZones && rule.kind === 'goal' ? EARLIEST_ZONE : rule.timezone;
  const current = periodContaining(rule.period, localDate(at, zone));
  return input.action === 'incentive-period-end' ? shiftPeriod(current, -1).label : current.label;
}

/**
 * Runs of a goal's daily pass before this patch started only the period begun in EARLIEST_ZONE:
 * a rep imported (or newly selected) in the last day or two of a period west of UTC+14 got no run
 * of the period still under way for them, so no review of it. Their histories replay that way.
 */
export const PREVIOUS_PERIOD_PATCH = 'goal-pass-previous-period';

/**
 * The period before the one a goal's scheduled pass is for, when it is still under way somewhere
 * at `at` (its last day not over in UTC−12): the first two passes of a period, fired at 00:00
 * UTC+14, come while reps further west are still in the one before. Null otherwise, and for a
 * pass with a set period (apply's start, a manual run) or an old schedule (rule zone).
 */
export function previousPeriodUnderWay(input: DispatchInput, at: number): string | null {
  const { rule } = input;
  if (rule.kind !== 'goal' || !input.inRepZones || input.period || input.action !== 'goal-period-start') return null;
  const current = dispatchPeriod(input, at);
  return current ? periodBeforeUnderWay(current, at) : null;
}

/** The period before `period` when it is still under way somewhere at `at` (its last day not over in UTC−12), else null. */
export function periodBeforeUnderWay(period: string, at: number): string | null {
  const parsed = parsePeriod(period);
  if (!parsed.ok) return null;
  const previous = shiftPeriod(parsed.period, -1);
  return localDate(at, 'Etc/GMT+12') <= previous.end ? previous.label : null;
}

/** Whether a rep's own period (last day `end`) is still under way at `at` in their zone. */
export function periodOpenFor(rep: RepRecord, ruleZone: string, end: string, at: number): boolean {
  return localDate(at, zoneOr(rep.timezone, ruleZone)) <= end;
}

export interface ChildStart {
  workflowType: 'goalWorkflow' | 'payoutWorkflow' | 'sequenceWorkflow';
  workflowId: string;
  args: [GoalInput] | [PayoutInput] | [SequenceInput];
}

/**
 * The date a sequence tick is for. Schedules applied with `inRepZones` fire when the declared time
 * comes in EARLIEST_ZONE; that zone's date is the one every rep's run is for, each at the declared
 * time in the rep's own zone (up to 26 hours later, so never last week's or next week's send). The
 * latest declared time at or before the fire time is taken, so a late start still means its tick.
 * Older schedules fire in the rule's zone and their date is that zone's.
 */
export function tickDate(input: DispatchInput, at: number): string {
  const { rule } = input;
  if (input.inRepZones && rule.kind === 'sequence' && rule.trigger.kind === 'schedule') {
    return localDate(previousWeekly(rule.trigger.schedule, EARLIEST_ZONE, at), EARLIEST_ZONE);
  }
  return localDate(at, rule.timezone);
}

/** When a rep's run of a tick may start: the declared time on the tick's date in the rep's zone. */
function repStartAt(input: DispatchInput, rep: RepRecord, occurrence: string): string | undefined {
  const { rule } = input;
  if (!input.inRepZones || rule.kind !== 'sequence' || rule.trigger.kind !== 'schedule') return undefined;
  return new Date(atLocalTime(occurrence, rule.trigger.schedule.at, zoneOr(rep.timezone, rule.timezone))).toISOString();
}

/** The run a dispatch starts for one rep (also used by `salesflow backtest`, which starts them itself). */
export function childFor(
  input: DispatchInput, rep: RepRecord, period: string | null, occurrence: string | null, planHash?: string,
): ChildStart | null {
  const { rule } = input;
  const plan = planHash ? { planHash } : {};
  if (rule.kind === 'goal' && period) {
    return { workflowType: 'goalWorkflow', workflowId: workflowIds.goal(rule.id, rep.id, period), args: [{ rule, repId: rep.id, period, ...plan }] };
  }
  if (rule.kind === 'incentive' && period) {
    return { workflowType: 'payoutWorkflow', workflowId: workflowIds.payout(rule.id, rep.id, period), args: [{ rule, repId: rep.id, period, ...plan }] };
  }
  if (rule.kind === 'sequence' && occurrence) {
    const startAt = repStartAt(input, rep, occurrence);
    return {
      workflowType: 'sequenceWorkflow',
      workflowId: workflowIds.sequenceTick(rule.id, rep.id, occurrence),
      args: [{ rule, subject: { kind: 'rep', rep }, occurrence, ...(startAt ? { startAt } : {}), ...plan }],
    };
  }
  return null;
}

export async function dispatchWorkflow(input: DispatchInput): Promise<DispatchResult> {
  const at = input.firedAt ? Date.parse(input.firedAt) : firedAt();
  const period = input.resume ? input.resume.period : dispatchPeriod(input, at);
  const occurrence = input.resume ? input.resume.occurrence : input.rule.kind === 'sequence' ? tickDate(input, at) : null;
  const result: DispatchResult = input.resume?.result ?? {
    action: input.action, period, started: [], skipped: [], startedCount: 0, skippedCount: 0, note: null,
  };
  let afterRepId = input.resume?.afterRepId ?? '';
  const perRun = input.childrenPerRun ?? 500;
  let handled = 0;

  // A goal's pass, after the period it is for, starts the runs still missing of the period before
  // for reps in whose zone it has not ended yet (previousPeriodUnderWay), when the goal ran in it.
  let previous = input.resume?.previous;
  if (!input.resume && input.rule.kind === 'goal') {
    const label = previousPeriodUnderWay(input, at);
    if (label && patched(PREVIOUS_PERIOD_PATCH)) previous = { period: label, active: false };
  }
  const previousEnd = previous ? (parsePeriod(previous.period) as { ok: true; period: { end: string } }).period.end : '';
  // Apply's start of a period that has ended in UTC+14 but not further west: its reps there only.
  const openPeriod = input.onlyWhereUnderWay && period ? parsePeriod(period) : null;
  const openEnd = openPeriod?.ok ? openPeriod.period.end : null;

  for (;;) {
    const runPeriod = previous?.active ? previous.period : period;
    const page = await dispatchReps({
      rule: input.rule, period: runPeriod, afterRepId, limit: Math.min(PAGE, perRun), ...(previous?.active ? { onlyIfPeriodRan: true } : {}),
    });
    if (page.note) result.note = page.note;
    if (page.reps.length === 0) {
      if (!previous || previous.active) return result;
      previous = { ...previous, active: true };
      afterRepId = '';
      continue;
    }
    const reps = previous?.active
      ? page.reps.filter((rep) => periodOpenFor(rep, input.rule.timezone, previousEnd, at))
      : openEnd ? page.reps.filter((rep) => periodOpenFor(rep, input.rule.timezone, openEnd, at)) : page.reps;
    await Promise.all(
      reps.map(async (rep) => {
        const child = childFor(input, rep, runPeriod, occurrence, page.planHash ?? undefined);
        if (!child) return;
        try {
          await startChild(child.workflowType, {
            workflowId: child.workflowId,
            args: child.args,
            parentClosePolicy: ParentClosePolicy.ABANDON,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
          result.startedCount += 1;
          if (result.started.length < KEPT_IDS) result.started.push(child.workflowId);
        } catch (err) {
          // Already started (by an earlier tick, a catch-up or `payouts run`): that is the point.
          if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
          result.skippedCount += 1;
          if (result.skipped.length < KEPT_IDS) result.skipped.push(child.workflowId);
        }
      }),
    );
    afterRepId = page.reps[page.reps.length - 1].id;
    handled += page.reps.length;
    if (handled >= perRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof dispatchWorkflow>({ ...input, resume: { afterRepId, period, occurrence, result, ...(previous ? { previous } : {}) } });
    }
  }
}
