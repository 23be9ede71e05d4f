// When a goal's checkpoints fall in one rep's period, and what a run that starts late does about
// the ones already past. Pure functions over epoch milliseconds (the goal workflow passes its
// replay-safe clock), so tests and the workflow share them.
//
// A period runs from local midnight of its first day to local midnight after its last day, in the
// rep's zone: a week in Pacific/Kiritimati ends 24 hours before the same week in Pacific/Pago_Pago.
import type { GoalCheckpoint, WeeklySchedule } from '../plan/schema.js';
import type { SkippedCheckpoint } from './api.js';
import { formatDay, parseDay } from '../payouts/period.js';
import { fromLocal, localDate, localTime, nextWeekly, startOfLocalDate } from './calendar.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * A check-in due at most this long before its run started is sent late rather than skipped: the
 * dispatch fans out over many reps, so a rep whose period begins as the schedule fires (UTC+14)
 * starts a little after a check-in at 00:00. Older ones are stale: next week's is what counts.
 */
export const CHECKIN_GRACE_MS = 60 * MINUTE;

export interface PeriodSpan {
  /** Local midnight of the first day, epoch ms. */
  start: number;
  /** Local midnight after the last day, epoch ms (the review is due then). */
  end: number;
}

/** The instants a period (first and last day, YYYY-MM-DD) starts and ends in a zone. */
export function periodSpan(firstDay: string, lastDay: string, timeZone: string): PeriodSpan {
  return { start: startOfLocalDate(firstDay, timeZone), end: startOfLocalDate(formatDay(parseDay(lastDay)! + 1), timeZone) };
}

/**
 * `at N% of period` as the rep's clock reads it: N% of the way from the first local midnight to the
 * last, in wall-clock time, so 50% of a week is Thursday 12:00 also in a week whose Sunday has a
 * daylight-saving change (elapsed time would put it at 11:30 or 12:30).
 */
export function localFraction(span: PeriodSpan, percent: string, timeZone: string): number {
  const wall = (ms: number) => {
    const t = localTime(ms, timeZone);
    return t.day * DAY + t.hour * 60 * MINUTE + t.minute * MINUTE + t.subMinuteMs;
  };
  const wallStart = wall(span.start);
  const target = wallStart + Math.round(((wall(span.end) - wallStart) * Number(percent)) / 100);
  const day = Math.floor(target / DAY);
  const inDay = target - day * DAY;
  const minutes = Math.floor(inDay / MINUTE);
  return fromLocal(day, Math.floor(minutes / 60), minutes % 60, timeZone) + (inDay % MINUTE);
}

/**
 * When a checkpoint is next due strictly after `cursor` and within the period; null: not again.
 * A check-in at the period's last instant (`every monday at 00:00` when the next week begins)
 * belongs to the next period, whose run sends it. `localPeriods` false keeps what runs started
 * before 'goal-local-periods' did: elapsed-time fractions, and that check-in sent by both runs.
 */
export function nextDue(checkpoint: GoalCheckpoint, cursor: number, span: PeriodSpan, timeZone: string, localPeriods: boolean): number | null {
  const { start, end } = span;
  const when = checkpoint.when;
  let due: number;
  if (when.kind === 'every') {
    due = nextWeekly(when.schedule, timeZone, Math.max(cursor, start - 1));
    if (localPeriods && due >= end) return null;
  } else if (when.kind === 'fraction') {
    due = localPeriods ? localFraction(span, when.percent, timeZone) : start + Math.round(((end - start) * Number(when.percent)) / 100);
  } else due = end;
  return due > cursor && due <= end ? due : null;
}

/**
 * The next `every` check-in of a rep who moved to another zone mid-period: the declared time in
 * `timeZone` (the rep's zone now) strictly after `cursor`, within the period (still measured in the
 * zone the run began with), and on a later local date than the check-in's last run (`lastDay`, in
 * the zone it was due in): a rep moved west, whose 09:00 came first in the old zone, gets no second
 * check-in that day at the new zone's 09:00.
 */
export function nextCheckinInZone(schedule: WeeklySchedule, cursor: number, span: PeriodSpan, timeZone: string, lastDay: string | undefined): number | null {
  let after = Math.max(cursor, span.start - 1);
  // A weekly schedule matches within 8 days; two matches suffice to pass one `lastDay`.
  for (let i = 0; i < 3; i++) {
    const due = nextWeekly(schedule, timeZone, after);
    if (due >= span.end) return null;
    if (lastDay === undefined || localDate(due, timeZone) > lastDay) return due;
    after = due;
  }
  return null;
}

export interface DueCheckpoint {
  checkpoint: GoalCheckpoint;
  /** Its nominal time, epoch ms (part of the outbox key, so a second run's send is the same one). */
  due: number;
}

export interface LateStart {
  /** Past checkpoints to run at once, in due order. */
  runNow: DueCheckpoint[];
  skipped: SkippedCheckpoint[];
}

/**
 * What a run starting at `now` does about checkpoints due before then in its period:
 * - the period has ended: the review (`at end of period`) runs, once, with the period's final
 *   figures; nothing else does;
 * - still running: each `at N% of period` point already passed is evaluated once, its `when`
 *   condition on today's figures; a check-in due within CHECKIN_GRACE_MS is sent late, older ones
 *   are skipped.
 */
export function lateStart(checkpoints: GoalCheckpoint[], span: PeriodSpan, now: number, timeZone: string): LateStart {
  const past: DueCheckpoint[] = [];
  for (const checkpoint of checkpoints) {
    for (let cursor = span.start - 1; ;) {
      const due = nextDue(checkpoint, cursor, span, timeZone, true);
      if (due === null || due >= now) break;
      past.push({ checkpoint, due });
      cursor = due;
    }
  }
  past.sort((a, b) => a.due - b.due);
  const ended = now > span.end;
  const result: LateStart = { runNow: [], skipped: [] };
  for (const item of past) {
    const kind = item.checkpoint.when.kind;
    const skip = (reason: SkippedCheckpoint['reason']) =>
      result.skipped.push({ checkpointId: item.checkpoint.id, due: new Date(item.due).toISOString(), reason });
    if (kind === 'end') result.runNow.push(item);
    else if (ended) skip('period-ended');
    else if (kind === 'fraction' || item.due >= now - CHECKIN_GRACE_MS) result.runNow.push(item);
    else skip('stale');
  }
  return result;
}
