// Calendar maths in a person's time zone: the next weekly check-in, waits in days and business
// days, quiet hours. Pure functions over epoch milliseconds; the only clock is the argument, so the
// workflows (whose Date.now() is replay-safe) and tests can call them alike. Time-zone rules come
// from Intl, so daylight-saving changes are handled by the runtime's tz database.
import type { Duration, WeeklySchedule } from '../plan/schema.js';
import { civilDate, dayNumber, isoWeekday } from '../payouts/period.js';
import { weekdays } from '../plan/catalog.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface LocalTime {
  /** Day number since 1970-01-01 of the local calendar date. */
  day: number;
  hour: number;
  minute: number;
  /** Seconds and milliseconds past the minute, in ms. */
  subMinuteMs: number;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of local time from UTC at an instant, in ms (Berlin in summer: +2 h). */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(whole)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - whole;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const local = ms + offsetAt(ms, timeZone);
  const day = Math.floor(local / DAY);
  const inDay = local - day * DAY;
  return {
    day,
    hour: Math.floor(inDay / HOUR),
    minute: Math.floor((inDay % HOUR) / MINUTE),
    subMinuteMs: inDay % MINUTE,
    weekday: isoWeekday(day),
  };
}

/**
 * The instant of a local wall-clock time. A time skipped by a spring-forward change (02:30 in
 * Berlin on the last Sunday of March) is moved forward by the gap (03:30); a time that occurs twice
 * in autumn is its first occurrence.
 */
export function fromLocal(day: number, hour: number, minute: number, timeZone: string): number {
  const wall = day * DAY + hour * HOUR + minute * MINUTE;
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => t + offsetAt(t, timeZone) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  // In the gap: the pre-change offset maps the wall time to just after the change.
  return wall - Math.min(before, after);
}

/** Local date as YYYY-MM-DD. */
export function localDate(ms: number, timeZone: string): string {
  const { year, month, day } = civilDate(localTime(ms, timeZone).day);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * An instant as a person reads it: `2026-04-06 11:00 Europe/Berlin`, the date and time in their
 * zone with the zone named (a deadline in UTC makes an approver in New York do sums).
 */
export function zonedDateTime(ms: number, timeZone: string): string {
  const zone = isKnownTimeZone(timeZone) ? timeZone : 'UTC';
  const { hour, minute } = localTime(ms, zone);
  return `${localDate(ms, zone)} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} ${zone}`;
}

/** The instant a local date (YYYY-MM-DD) starts. */
export function startOfLocalDate(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return fromLocal(dayNumber(y, m, d), 0, 0, timeZone);
}

function parseClock(text: string): { hour: number; minute: number } {
  const [hour, minute] = text.split(':').map(Number);
  return { hour, minute };
}

/** The first instant strictly after `afterMs` that matches a weekly schedule in a time zone. */
export function nextWeekly(schedule: WeeklySchedule, timeZone: string, afterMs: number): number {
  const { hour, minute } = parseClock(schedule.at);
  const isoDays = new Set(schedule.days.map((d) => weekdays.indexOf(d) + 1));
  const start = localTime(afterMs, timeZone).day;
  for (let day = start; day <= start + 8; day++) {
    if (!isoDays.has(isoWeekday(day))) continue;
    const t = fromLocal(day, hour, minute, timeZone);
    if (t > afterMs) return t;
  }
  /* c8 ignore next */
  throw new Error(`nextWeekly: no day matches ${schedule.days.join(',')}`);
}

/** The last instant at or before `atOrBeforeMs` that matches a weekly schedule in a time zone. */
export function previousWeekly(schedule: WeeklySchedule, timeZone: string, atOrBeforeMs: number): number {
  const { hour, minute } = parseClock(schedule.at);
  const isoDays = new Set(schedule.days.map((d) => weekdays.indexOf(d) + 1));
  const start = localTime(atOrBeforeMs, timeZone).day;
  for (let day = start; day >= start - 8; day--) {
    if (!isoDays.has(isoWeekday(day))) continue;
    const t = fromLocal(day, hour, minute, timeZone);
    if (t <= atOrBeforeMs) return t;
  }
  /* c8 ignore next */
  throw new Error(`previousWeekly: no day matches ${schedule.days.join(',')}`);
}

/**
 * The zone whose clocks are furthest ahead (UTC+14 all year, no daylight saving): a local date and
 * time comes there first, so a schedule firing at it is early enough for every zone on Earth.
 */
export const EARLIEST_ZONE = 'Pacific/Kiritimati';

/** The instant a local date (YYYY-MM-DD) reaches a time of day (HH:MM) in a zone, DST-correct. */
export function atLocalTime(date: string, clock: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const { hour, minute } = parseClock(clock);
  return fromLocal(dayNumber(y, m, d), hour, minute, timeZone);
}

/** Whether the runtime's tz database knows a zone name (rep CSVs are not checked on import). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone a person's times are kept in: their own when the tz database knows it (rep and lead CSVs are not checked), else `fallback` (the rule's). */
export function zoneOr(timeZone: string | null | undefined, fallback: string): string {
  return timeZone && isKnownTimeZone(timeZone) ? timeZone : fallback;
}

/**
 * The instant a wait of `duration` started at `startMs` ends. Days, weeks and business days keep
 * the local time of day (a 2-day wait from 10:00 ends at 10:00 even across a DST change); business
 * days count Monday to Friday only. `fractionOnWeekday`: the fraction of a business day
 * (`1.5 business days`) is business time too, so an end it carries into a weekend moves on to
 * Monday at that time of day (without it, Thursday 18:00 plus 1.5 ended on Saturday 06:00; kept for
 * the histories of runs that waited so).
 */
export function addDuration(startMs: number, duration: Duration, timeZone: string, fractionOnWeekday = false): number {
  const amount = Number(duration.amount);
  switch (duration.unit) {
    case 'minutes':
      return startMs + amount * MINUTE;
    case 'hours':
      return startMs + amount * HOUR;
    case 'days':
    case 'weeks': {
      const days = duration.unit === 'weeks' ? amount * 7 : amount;
      if (!Number.isInteger(days)) return startMs + days * DAY;
      return shiftDays(startMs, days, timeZone);
    }
    case 'business_days': {
      const whole = Math.floor(amount);
      let day = localTime(startMs, timeZone).day;
      let counted = 0;
      while (counted < whole) {
        day += 1;
        if (isoWeekday(day) <= 5) counted += 1;
      }
      const start = localTime(startMs, timeZone).day;
      let end = shiftDays(startMs, day - start, timeZone) + (amount - whole) * DAY;
      if (fractionOnWeekday && amount !== whole) {
        while (localTime(end, timeZone).weekday >= 6) end = shiftDays(end, 1, timeZone);
      }
      return end;
    }
  }
}

function shiftDays(startMs: number, days: number, timeZone: string): number {
  const local = localTime(startMs, timeZone);
  return fromLocal(local.day + days, local.hour, local.minute, timeZone) + local.subMinuteMs;
}

export interface QuietHours {
  from: string;
  to: string;
  weekends: boolean;
}

/**
 * The first instant after `afterMs` at which a local wall-clock time occurs: in the hour an autumn
 * change repeats, its second occurrence once the first has passed (fromLocal gives the first).
 */
function occurrenceAfter(day: number, hour: number, minute: number, timeZone: string, afterMs: number): number {
  const first = fromLocal(day, hour, minute, timeZone);
  if (first > afterMs) return first;
  const wall = day * DAY + hour * HOUR + minute * MINUTE;
  const later = [wall - offsetAt(wall - DAY, timeZone), wall - offsetAt(wall + DAY, timeZone)]
    .filter((t) => t > afterMs && t + offsetAt(t, timeZone) === wall);
  return later.length > 0 ? Math.min(...later) : first;
}

/**
 * The first allowed instant at or after `ms`: outside quiet hours (which may wrap midnight,
 * `20:00 to 08:00`) and, with `weekends`, not on Saturday or Sunday. A blocked send moves to the
 * minute quiet hours end. `repeatedHour: false` is the reading before quiet hours ending in the
 * hour an autumn change repeats were fixed: at 02:10 in that hour's second pass, quiet until 02:30
 * ended at the first 02:30 (already past), so the email went out at 02:10; kept for the histories
 * of runs that did so (workflows/sequence.ts).
 */
export function nextAllowed(ms: number, quiet: QuietHours | null, timeZone: string, repeatedHour = true): number {
  if (!quiet) return ms;
  const from = parseClock(quiet.from);
  const to = parseClock(quiet.to);
  const fromMin = from.hour * 60 + from.minute;
  const toMin = to.hour * 60 + to.minute;
  let t = ms;
  // Each pass moves past one blocked stretch (a night or a weekend day); a week is plenty.
  for (let pass = 0; pass < 16; pass++) {
    const local = localTime(t, timeZone);
    if (quiet.weekends && local.weekday >= 6) {
      t = fromLocal(local.day + (8 - local.weekday), 0, 0, timeZone);
      continue;
    }
    const now = local.hour * 60 + local.minute;
    const quietNow =
      fromMin === toMin ? false : fromMin < toMin ? now >= fromMin && now < toMin : now >= fromMin || now < toMin;
    if (!quietNow) return t;
    const endDay = fromMin > toMin && now >= fromMin ? local.day + 1 : local.day;
    t = repeatedHour ? occurrenceAfter(endDay, to.hour, to.minute, timeZone, t) : fromLocal(endDay, to.hour, to.minute, timeZone);
  }
  return t;
}
