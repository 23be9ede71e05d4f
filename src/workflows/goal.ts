// One run per (goal, rep, period): durable timers to each checkpoint in the rep's time zone —
// `every monday at 09:00` check-ins (09:00 local also after a daylight-saving change), `at 50% of
// period` checkpoints and the end-of-period review — each computing progress through an activity
// and sending. Long periods continue as new, carrying the instant up to which all has run.
//
// The period is the rep's (see goal-timing.ts). A run started before it begins (the schedule fires
// when the period first starts anywhere, UTC+14) sleeps until its checkpoints come; one started
// late catches up once (lateStart), so the review is never lost. Each send's outbox key names its
// nominal time, so a second run of the same (rule, rep, period) sends nothing twice.
import { continueAsNew, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { GoalCheckpoint } from '../plan/schema.js';
import { ACTIVITY_HEARTBEAT, type GoalCheckin, type GoalInput, type GoalResult, type SkippedCheckpoint } from './api.js';
import { lateStart, nextDue, periodSpan, type DueCheckpoint } from './goal-timing.js';

const { goalContext, runGoalCheckpoint } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT.timeout,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

const KEPT_CHECKINS = 200;

/**
 * Runs started before this patch measured `at N%` in elapsed time and dropped whatever was past
 * when they started; their histories replay that way. A run continued as new keeps its chain's mode.
 */
export const LOCAL_PERIODS_PATCH = 'goal-local-periods';

export async function goalWorkflow(input: GoalInput): Promise<GoalResult> {
  const { rule, repId, period } = input;
  const workflowId = workflowInfo().workflowId;
  const localPeriods = input.resume ? input.resume.localPeriods === true : patched(LOCAL_PERIODS_PATCH);
  const context = await goalContext({ rule, repId, period });
  // One clock for the whole period: a rep moved to another zone mid-period (a CRM update) keeps the
  // zone the run started with until the period ends; the next period's run reads the new one.
  const zone = input.resume?.timezone ?? context.timezone;
  const span = periodSpan(context.periodStart, context.periodEnd, zone);

  const checkins: GoalCheckin[] = [...(input.resume?.checkins ?? [])];
  const skipped: SkippedCheckpoint[] = [...(input.resume?.skipped ?? [])];
  const runCheckpoint = async ({ checkpoint, due }: DueCheckpoint) => {
    const outcome = await runGoalCheckpoint({
      rule, repId, period, workflowId, checkpointId: checkpoint.id, occurrence: new Date(due).toISOString(), at: Date.now(), timezone: zone,
    });
    const ran: GoalCheckin = { checkpointId: checkpoint.id, at: new Date(Date.now()).toISOString(), ...outcome };
    checkins.push(localPeriods ? { ...ran, due: new Date(due).toISOString() } : ran);
  };

  let cursor: number;
  if (input.resume) cursor = input.resume.cursor;
  else if (!localPeriods) cursor = Math.max(Date.now(), span.start) - 1;
  else {
    const startedAt = Date.now();
    const late = lateStart(rule.checkpoints, span, startedAt, zone);
    skipped.push(...late.skipped.slice(-KEPT_CHECKINS));
    for (const item of late.runNow) await runCheckpoint(item);
    cursor = Math.max(startedAt, span.start) - 1;
  }
  const perRun = input.checkpointsPerRun ?? 25;
  let ran = 0;

  for (;;) {
    const due = rule.checkpoints
      .map((checkpoint) => ({ checkpoint, at: nextDue(checkpoint, cursor, span, zone, localPeriods) }))
      .filter((d): d is { checkpoint: GoalCheckpoint; at: number } => d.at !== null);
    if (due.length === 0) break;
    if (ran >= perRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof goalWorkflow>({
        ...input,
        resume: { cursor, checkins: checkins.slice(-KEPT_CHECKINS), ...(localPeriods ? { localPeriods, skipped } : {}), timezone: zone },
      });
    }
    const at = Math.min(...due.map((d) => d.at));
    if (at > Date.now()) await sleep(at - Date.now());
    for (const { checkpoint } of due.filter((d) => d.at === at)) {
      await runCheckpoint({ checkpoint, due: at });
      ran += 1;
    }
    cursor = at;
  }
  return { period, checkins, skipped };
}
