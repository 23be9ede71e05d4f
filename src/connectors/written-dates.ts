// Dates and times as a CRM writes them for people rather than for programs: Zoho CRM's workflow
// webhooks fill a merge field such as ${Deals.Modified Time} in the date and time format of the
// user's locale settings ("03/15/2026 10:30 AM", "15.03.2026 10:30", "Mar 15, 2026 10:30 AM",
// Deluge's "15-Mar-2026 10:30:00"), in that user's time zone and without an offset. Numeric
// day/month orders are ambiguous (03/04 is March or April), so they follow the mapping's
// `date_format`; month names and year-first forms read the same under any setting.
import { isCalendarDate } from '../plan/records.js';
import type { DateFormat } from './mapping/types.js';

/** A date and wall-clock time, no zone; a date written alone is midnight. */
export interface WrittenDateTime {
  date: string;
  hour: number;
  minute: number;
  second: number;
}

export type Written = { ok: true; value: WrittenDateTime } | { ok: false; message: string } | { ok: false; unrecognised: true };

const monthNames = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "Mar", "March", "Sept", "mar." → 1..12; null for anything else. */
function monthNumber(word: string): number | null {
  const lower = word.toLowerCase().replace(/\.$/, '');
  if (lower === 'sept') return 9;
  const index = monthNames.findIndex((name) => lower === name || lower === name.slice(0, 3));
  return index < 0 ? null : index + 1;
}

const two = (n: number) => String(n).padStart(2, '0');

/** A time of day in 24-hour ("17:05", "17:05:09") or 12-hour form ("5:05 PM", "05:05:09pm"). */
function readClock(text: string): { hour: number; minute: number; second: number } | string {
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?$/.exec(text);
  if (!clock) return `"${text}" is not a time of day like 17:05 or 5:05 PM`;
  let hour = Number(clock[1]);
  const minute = Number(clock[2]);
  const second = Number(clock[3] ?? '0');
  if (clock[4]) {
    if (hour < 1 || hour > 12) return `"${text}": a 12-hour time has hours 1 to 12`;
    hour = (hour % 12) + (clock[4].toLowerCase() === 'p' ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return `"${text}" is not a time of day`;
  return { hour, minute, second };
}

/**
 * A date (and optional time of day) written in a locale's form. `unrecognised` when the text has
 * no such shape at all (the caller then says what it expected); a message when it has one but
 * cannot be read as a calendar date, or is a numeric day/month order the mapping does not declare.
 */
export function readWritten(text: string, format: DateFormat, settingHint: string): Written {
  // An optional weekday in front ("Sun, Mar 15, 2026" / "Sunday 15 March 2026").
  const trimmed = text.trim().replace(/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+/i, '');
  let year: number;
  let month: number;
  let day: number;
  let rest: string;
  const named = /^(?:(\p{L}{3,9}\.?)\s+(\d{1,2}),?\s+(\d{4})|(\d{1,2})[\s-](\p{L}{3,9}\.?)[\s,-]+(\d{4}))(?:,?\s+(.*))?$/u.exec(trimmed);
  const numeric = /^(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:,?\s+(.*))?$/.exec(trimmed);
  if (named) {
    const monthWord = named[1] ?? named[5];
    const m = monthNumber(monthWord);
    if (m === null) return { ok: false, message: `"${monthWord}" is not an English month name (Jan to Dec)` };
    month = m;
    day = Number(named[2] ?? named[4]);
    year = Number(named[3] ?? named[6]);
    rest = named[7] ?? '';
  } else if (numeric) {
    const [, a, , b, c] = numeric;
    rest = numeric[5] ?? '';
    if (a.length === 4 && c.length <= 2) {
      [year, month, day] = [Number(a), Number(b), Number(c)];
    } else if (c.length === 4 && a.length <= 2) {
      if (format === 'YYYY-MM-DD') {
        return { ok: false, message: `"${text}" writes the day and month in an order the mapping does not declare: ${settingHint}` };
      }
      [month, day] = format === 'MM/DD/YYYY' ? [Number(a), Number(b)] : [Number(b), Number(a)];
      year = Number(c);
    } else {
      return { ok: false, message: `"${text}" has no four-digit year` };
    }
  } else {
    return { ok: false, unrecognised: true };
  }
  const date = `${year}-${two(month)}-${two(day)}`;
  if (!isCalendarDate(date)) return { ok: false, message: `"${text}" is not a calendar date${numeric && !(numeric[1].length === 4) ? ` in ${format}` : ''}` };
  if (rest === '') return { ok: true, value: { date, hour: 0, minute: 0, second: 0 } };
  const clock = readClock(rest.trim());
  if (typeof clock === 'string') return { ok: false, message: clock };
  return { ok: true, value: { date, ...clock } };
}
