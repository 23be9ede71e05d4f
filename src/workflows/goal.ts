// One run per (goal, rep, period): durable timers to each checkpoint in the rep's time zone —
// `every monday at 09:00` check-ins (09:00 local also after a daylight-saving change), `at 50% of
// period` checkpoints and the end-of-period review — each computing progress through an activity
// and sending. Long periods continue as new, carrying the instant up to which all has run.
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { formatDay, parseDay } from '../payouts/period.js';
import type { GoalCheckpoint } from '../plan/schema.js';
import { ACTIVITY_HEARTBEAT, type GoalCheckin, type GoalInput, type GoalResult } from './api.js';
import { nextWeekly, startOfLocalDate } from './calendar.js';

const { goalContext, runGoalCheckpoint } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT.timeout,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

const KEPT_CHECKINS = 200;

/** When a checkpoint is next due strictly after `cursor` and no later than the period's end; null: not again. */
export function nextDue(checkpoint: GoalCheckpoint, cursor: number, start: number, end: number, timeZone: string): number | null {
  const when = checkpoint.when;
  let due: number;
  if (when.kind === 'every') due = nextWeekly(when.schedule, timeZone, Math.max(cursor, start - 1));
  else if (when.kind === 'fraction') due = start + Math.round(((end - start) * Number(when.percent)) / 100);
  else due = end;
  return due > cursor && due <= end ? due : null;
}

export async function goalWorkflow(input: GoalInput): Promise<GoalResult> {
  const { rule, repId, period } = input;
  const workflowId = workflowInfo().workflowId;
  const context = await goalContext({ rule, repId, period });
  const zone = context.timezone;
  const start = startOfLocalDate(context.periodStart, zone);
  // The period ends when the day after its last day begins, in the rep's zone.
  const end = startOfLocalDate(formatDay(parseDay(context.periodEnd)! + 1), zone);

  const checkins: GoalCheckin[] = [...(input.resume?.checkins ?? [])];
  // A run started mid-period does not replay checkpoints already past.
  let cursor = input.resume?.cursor ?? Math.max(Date.now(), start) - 1;
  const perRun = input.checkpointsPerRun ?? 25;
  let ran = 0;

  for (;;) {
    const due = rule.checkpoints
      .map((checkpoint) => ({ checkpoint, at: nextDue(checkpoint, cursor, start, end, zone) }))
      .filter((d): d is { checkpoint: GoalCheckpoint; at: number } => d.at !== null);
    if (due.length === 0) break;
    if (ran >= perRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof goalWorkflow>({ ...input, resume: { cursor, checkins: checkins.slice(-KEPT_CHECKINS) } });
    }
    const at = Math.min(...due.map((d) => d.at));
    if (at > Date.now()) await sleep(at - Date.now());
    for (const { checkpoint } of due.filter((d) => d.at === at)) {
      const outcome = await runGoalCheckpoint({
        rule, repId, period, workflowId, checkpointId: checkpoint.id, occurrence: new Date(at).toISOString(), at: Date.now(),
      });
      checkins.push({ checkpointId: checkpoint.id, at: new Date(Date.now()).toISOString(), ...outcome });
      ran += 1;
    }
    cursor = at;
  }
  return { period, checkins };
}
