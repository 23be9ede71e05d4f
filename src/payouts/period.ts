// Period labels and their calendar dates (SPEC §5, §8): `2026-Q1`, `2026-03`, `2026-W09` (ISO week),
// `2026`. Pure civil-date arithmetic on day numbers, no Date objects and no Node APIs, so the
// deterministic workflow code can use it too.
import type { PeriodKind } from '../plan/catalog.js';

export interface Period {
  kind: PeriodKind;
  /** Canonical label: `2026-Q1`, `2026-03`, `2026-W09`, `2026`. */
  label: string;
  /** First day, YYYY-MM-DD. */
  start: string;
  /** Last day (inclusive), YYYY-MM-DD. */
  end: string;
}

export type PeriodParse = { ok: true; period: Period } | { ok: false; message: string };

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilDate(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function formatDay(days: number): string {
  const { year, month, day } = civilDate(days);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Day number of a YYYY-MM-DD date; null when it is not a real calendar date. */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return dayNumber(year, month, day);
}

function daysInMonth(year: number, month: number): number {
  const next = month === 12 ? dayNumber(year + 1, 1, 1) : dayNumber(year, month + 1, 1);
  return next - dayNumber(year, month, 1);
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function isoWeekday(days: number): number {
  // 1970-01-01 was a Thursday (4).
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** Monday of ISO week 1 of an ISO week-numbering year: the week holding 4 January. */
function isoWeekOneMonday(isoYear: number): number {
  const jan4 = dayNumber(isoYear, 1, 4);
  return jan4 - (isoWeekday(jan4) - 1);
}

export function isoWeeksInYear(isoYear: number): number {
  return (isoWeekOneMonday(isoYear + 1) - isoWeekOneMonday(isoYear)) / 7;
}

/** The ISO week-numbering year and week of a day. */
export function isoWeekOf(days: number): { year: number; week: number } {
  const { year } = civilDate(days);
  for (const candidate of [year + 1, year, year - 1]) {
    const monday = isoWeekOneMonday(candidate);
    if (days >= monday) return { year: candidate, week: Math.floor((days - monday) / 7) + 1 };
  }
  /* c8 ignore next */
  throw new Error(`unreachable: no ISO week for day ${days}`);
}

function make(kind: PeriodKind, label: string, start: number, end: number): Period {
  return { kind, label, start: formatDay(start), end: formatDay(end) };
}

function week(isoYear: number, weekNo: number): Period {
  const monday = isoWeekOneMonday(isoYear) + (weekNo - 1) * 7;
  return make('week', `${pad(isoYear, 4)}-W${pad(weekNo)}`, monday, monday + 6);
}

function month(year: number, monthNo: number): Period {
  const start = dayNumber(year, monthNo, 1);
  return make('month', `${pad(year, 4)}-${pad(monthNo)}`, start, start + daysInMonth(year, monthNo) - 1);
}

function quarter(year: number, q: number): Period {
  const start = dayNumber(year, (q - 1) * 3 + 1, 1);
  const end = q === 4 ? dayNumber(year + 1, 1, 1) - 1 : dayNumber(year, q * 3 + 1, 1) - 1;
  return make('quarter', `${pad(year, 4)}-Q${q}`, start, end);
}

function year(y: number): Period {
  return make('year', pad(y, 4), dayNumber(y, 1, 1), dayNumber(y + 1, 1, 1) - 1);
}

const FORMS = 'expected a period like 2026-Q1 (quarter), 2026-03 (month), 2026-W09 (ISO week) or 2026 (year)';

export function parsePeriod(label: string): PeriodParse {
  const text = label.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})-Q([1-4])$/i.exec(text))) return { ok: true, period: quarter(Number(m[1]), Number(m[2])) };
  if ((m = /^(\d{4})-W(\d{2})$/i.exec(text))) {
    const [y, w] = [Number(m[1]), Number(m[2])];
    const weeks = isoWeeksInYear(y);
    if (w < 1 || w > weeks) return { ok: false, message: `"${label}": ${y} has ISO weeks W01 to W${pad(weeks)}` };
    return { ok: true, period: week(y, w) };
  }
  if ((m = /^(\d{4})-(\d{2})$/.exec(text))) {
    const mo = Number(m[2]);
    if (mo < 1 || mo > 12) return { ok: false, message: `"${label}": month must be 01 to 12` };
    return { ok: true, period: month(Number(m[1]), mo) };
  }
  if ((m = /^(\d{4})$/.exec(text))) return { ok: true, period: year(Number(m[1])) };
  return { ok: false, message: `"${label}" is not a period: ${FORMS}` };
}

/** The period of a kind that holds a date (YYYY-MM-DD). */
export function periodContaining(kind: PeriodKind, date: string): Period {
  const days = parseDay(date);
  if (days === null) throw new Error(`periodContaining: not a date: ${date}`);
  const { year: y, month: mo } = civilDate(days);
  switch (kind) {
    case 'week': {
      const w = isoWeekOf(days);
      return week(w.year, w.week);
    }
    case 'month':
      return month(y, mo);
    case 'quarter':
      return quarter(y, Math.floor((mo - 1) / 3) + 1);
    case 'year':
      return year(y);
  }
}

/** The period right after (offset 1) or before (offset -1) a period, or further. */
export function shiftPeriod(period: Period, offset: number): Period {
  const anchor = offset >= 0 ? parseDay(period.end)! + 1 : parseDay(period.start)! - 1;
  let current = periodContaining(period.kind, formatDay(anchor));
  for (let i = 1; i < Math.abs(offset); i++) current = shiftPeriod(current, Math.sign(offset));
  return current;
}

/** Number of days in a period. */
export function periodDays(period: Period): number {
  return parseDay(period.end)! - parseDay(period.start)! + 1;
}

/** Whether a YYYY-MM-DD date lies in [start, end] (ISO dates order as strings). */
export function inRange(date: string, range: { start: string; end: string }): boolean {
  return date >= range.start && date <= range.end;
}
