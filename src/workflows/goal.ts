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
import { localDate } from './calendar.js';
import { lateStart, nextCheckinInZone, nextDue, periodSpan, type DueCheckpoint } from './goal-timing.js';

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

/**
 * Runs started before this patch send every check-in on the clock the period began with, also after
 * the rep moved to another zone (a rep moved from Berlin to Los Angeles got the rest of the quarter's
 * 09:00 check-ins at midnight). From it on, each checkpoint's activity tells the rep's zone now, and
 * once it differs, `every` check-ins come at their time in it (never twice on one local day); the
 * period, `at N%` points and the review stay on the clock the period began with.
 */
export const CURRENT_ZONE_CHECKINS_PATCH = 'goal-checkins-current-zone';

export async function goalWorkflow(input: GoalInput): Promise<GoalResult> {
  const { rule, repId, period } = input;
  const workflowId = workflowInfo().workflowId;
  const localPeriods = input.resume ? input.resume.localPeriods === true : patched(LOCAL_PERIODS_PATCH);
  const context = await goalContext({ rule, repId, period });
  // One clock for the period: a rep moved to another zone mid-period (a CRM update) keeps the span,
  // `at N%` points and review of the zone the run started with; only `every` check-ins follow the
  // rep (CURRENT_ZONE_CHECKINS_PATCH). The next period's run reads the new zone.
  const zone = input.resume?.timezone ?? context.timezone;
  const span = periodSpan(context.periodStart, context.periodEnd, zone);
  const currentZoneCheckins = input.resume ? input.resume.checkinZone !== undefined : localPeriods && patched(CURRENT_ZONE_CHECKINS_PATCH);
  let checkinZone = input.resume?.checkinZone ?? zone;
  let zoneMoved = input.resume?.zoneMoved === true;
  const checkinDays: Record<string, string> = { ...(input.resume?.checkinDays ?? {}) };
  const followsRep = (checkpoint: GoalCheckpoint) => currentZoneCheckins && checkpoint.when.kind === 'every' && zoneMoved;

  const checkins: GoalCheckin[] = [...(input.resume?.checkins ?? [])];
  const skipped: SkippedCheckpoint[] = [...(input.resume?.skipped ?? [])];
  const runCheckpoint = async ({ checkpoint, due }: DueCheckpoint) => {
    const { repZone, ...outcome } = await runGoalCheckpoint({
      rule, repId, period, workflowId, checkpointId: checkpoint.id, occurrence: new Date(due).toISOString(), at: Date.now(), timezone: zone,
    });
    if (currentZoneCheckins) {
      // The zone this one was due in: the period's until the rep first moved, then the rep's.
      if (checkpoint.when.kind === 'every') checkinDays[checkpoint.id] = localDate(due, followsRep(checkpoint) ? checkinZone : zone);
      if (repZone && repZone !== checkinZone) {
        checkinZone = repZone;
        zoneMoved = true;
      }
    }
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
      .map((checkpoint) => ({
        checkpoint,
        at: followsRep(checkpoint) && checkpoint.when.kind === 'every'
          ? nextCheckinInZone(checkpoint.when.schedule, cursor, span, checkinZone, checkinDays[checkpoint.id])
          : nextDue(checkpoint, cursor, span, zone, localPeriods),
      }))
      .filter((d): d is { checkpoint: GoalCheckpoint; at: number } => d.at !== null);
    if (due.length === 0) break;
    if (ran >= perRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof goalWorkflow>({
        ...input,
        resume: {
          cursor, checkins: checkins.slice(-KEPT_CHECKINS), ...(localPeriods ? { localPeriods, skipped } : {}), timezone: zone,
          ...(currentZoneCheckins ? { checkinZone, zoneMoved, checkinDays } : {}),
        },
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
