// The window of a backtest (`--from DATE --to DATE`, both days included) and what the plan does in
// it, as pure calendar maths: the goal periods it overlaps, the incentive periods that end in it,
// each scheduled sequence's ticks, and which instants count as inside it for a person in a zone.
//
// A date begins at different instants around the world, so "inside the window" is judged in the
// zone of whoever it concerns: an email when its local time in the recipient's zone (a goal's: its
// rep's) lies from `from` 00:00 to the midnight that ends `to` (an end-of-period review fires at that midnight), a
// statement by its period's last day. The replay itself runs from the moment `from` begins in the
// earliest zone (UTC+14) to the moment `to` ends in the latest (UTC−12).
import { formatDay, parseDay, periodContaining, shiftPeriod, type Period } from '../../payouts/period.js';
import type { PeriodKind } from '../../plan/catalog.js';
import type { WeeklySchedule } from '../../plan/schema.js';
import { weekdays } from '../../plan/catalog.js';
import { atLocalTime, EARLIEST_ZONE, localTime, startOfLocalDate } from '../../workflows/calendar.js';
import { civilDate, isoWeekday } from '../../payouts/period.js';

/** UTC−12 all year: a date ends there last. */
export const LATEST_ZONE = 'Etc/GMT+12';

export interface BacktestWindow {
  /** First and last day, YYYY-MM-DD. */
  from: string;
  to: string;
  /** The instant `from` begins in the earliest zone (epoch ms). */
  startMs: number;
  /** The instant `to` ends in the latest zone (epoch ms). */
  endMs: number;
}

export type WindowParse = { ok: true; window: BacktestWindow } | { ok: false; message: string };

/** The longest window accepted: a year and a day, enough for any yearly period. */
const MAX_DAYS = 367;

export function parseWindow(from: string | undefined, to: string | undefined): WindowParse {
  if (!from) return { ok: false, message: '--from is required (a date like 2026-07-01)' };
  if (!to) return { ok: false, message: '--to is required (a date like 2026-09-30)' };
  const fromDay = parseDay(from.trim());
  if (fromDay === null) return { ok: false, message: `--from "${from}" is not a date: expected YYYY-MM-DD, e.g. 2026-07-01` };
  const toDay = parseDay(to.trim());
  if (toDay === null) return { ok: false, message: `--to "${to}" is not a date: expected YYYY-MM-DD, e.g. 2026-09-30` };
  if (fromDay > toDay) return { ok: false, message: `--from ${formatDay(fromDay)} is after --to ${formatDay(toDay)}` };
  if (toDay - fromDay + 1 > MAX_DAYS) {
    return { ok: false, message: `--from ${formatDay(fromDay)} to --to ${formatDay(toDay)} is ${toDay - fromDay + 1} days; a backtest covers at most ${MAX_DAYS}` };
  }
  return {
    ok: true,
    window: {
      from: formatDay(fromDay),
      to: formatDay(toDay),
      startMs: startOfLocalDate(formatDay(fromDay), EARLIEST_ZONE),
      endMs: startOfLocalDate(formatDay(toDay + 1), LATEST_ZONE),
    },
  };
}

/** Local wall time as YYYY-MM-DDTHH:MM. */
export function localMinute(ms: number, zone: string): string {
  const t = localTime(ms, zone);
  const { year, month, day } = civilDate(t.day);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(year, 4)}-${p(month)}-${p(day)}T${p(t.hour)}:${p(t.minute)}`;
}

/** Whether an instant lies in the window for someone in `zone` (see the file comment). */
export function inWindowFor(window: BacktestWindow, ms: number, zone: string): boolean {
  const local = localMinute(ms, zone);
  return local >= `${window.from}T00:00` && local <= `${formatDay(parseDay(window.to)! + 1)}T00:00`;
}

/** Every period of a kind that shares at least one day with the window, in order. */
export function periodsOverlapping(window: BacktestWindow, kind: PeriodKind): Period[] {
  const periods: Period[] = [];
  for (let p = periodContaining(kind, window.from); p.start <= window.to; p = shiftPeriod(p, 1)) periods.push(p);
  return periods;
}

/** Every period of a kind whose last day lies in the window, in order. */
export function periodsEnding(window: BacktestWindow, kind: PeriodKind): Period[] {
  return periodsOverlapping(window, kind).filter((p) => p.end <= window.to);
}

/**
 * When a goal period's runs are started: when the period begins in the earliest zone (each run then
 * waits for its rep's own start), or at the window's start for a period already running.
 */
export function goalStartMs(window: BacktestWindow, period: Period): number {
  return Math.max(window.startMs, startOfLocalDate(period.start, EARLIEST_ZONE));
}

/** When an incentive period ends in the rule's zone: its statement's time. */
export function periodEndMs(period: Period, zone: string): number {
  return startOfLocalDate(formatDay(parseDay(period.end)! + 1), zone);
}

/**
 * A scheduled sequence's ticks in the window, each as its schedules fire it: the declared time on
 * each matching date in the earliest zone (every rep's run then waits for that time in its own zone).
 */
export function scheduleTicks(window: BacktestWindow, schedule: WeeklySchedule): number[] {
  const days = new Set(schedule.days.map((d) => weekdays.indexOf(d) + 1));
  const ticks: number[] = [];
  for (let day = parseDay(window.from)!; day <= parseDay(window.to)!; day++) {
    if (days.has(isoWeekday(day))) ticks.push(atLocalTime(formatDay(day), schedule.at, EARLIEST_ZONE));
  }
  return ticks;
}

/** The event log replayed: events that occurred on the window's dates in UTC, [fromMs, toMs). */
export function eventBounds(window: BacktestWindow): { fromMs: number; toMs: number } {
  return { fromMs: startOfLocalDate(window.from, 'UTC'), toMs: startOfLocalDate(formatDay(parseDay(window.to)! + 1), 'UTC') };
}
