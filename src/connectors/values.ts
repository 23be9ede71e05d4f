// How a CRM's raw values become salesflow's: amounts as exact decimal text (never a JS number),
// dates as calendar days in the mapping's time zone, stages through the mapping's table. Each
// function returns a value or a sentence saying what was wrong, for FILE:LINE:field and 422 replies.
import { dayNumber } from '../payouts/period.js';
import { isCalendarDate } from '../plan/records.js';
import { fromLocal } from '../workflows/calendar.js';
import type { DateFormat } from './mapping/types.js';
import { readWritten } from './written-dates.js';

export type Converted<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const bad = (message: string): Converted<never> => ({ ok: false, message });

/** A vendor value as text: JSON numbers keep their digits, objects with an `id` (Zoho's Owner) give it. */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'id' in value) return asText((value as { id: unknown }).id);
  return null;
}

/**
 * Currency signs that name one currency (₹: a Zoho CRM account in India writes its amounts so).
 * `$` (USD, CAD, AUD, MXN, ...) and `¥` (JPY, CNY) do not: an amount written with them takes its
 * currency from elsewhere; nor does "Rs." (India, Pakistan, Sri Lanka, Nepal), which is refused.
 */
const symbolCodes: Record<string, string> = {
  '€': 'EUR', '£': 'GBP', '₹': 'INR', 'R$': 'BRL', '₩': 'KRW', '₺': 'TRY', '₽': 'RUB', '₴': 'UAH', '₪': 'ILS', '₫': 'VND', '₦': 'NGN',
};

/**
 * "1500.5", "1,500.50", "USD 1,500.50", "€1,500", "$1500" → "1500.5" / "1500.50" and the code when
 * one is written (as a code or as € or £). A JSON number is read through its shortest text, which is exact for amounts of up to 15
 * significant digits; longer literals arrive as strings of their digits (src/data/exact-json.ts),
 * and a number that still has more (computed, not sent) is refused rather than silently rounded.
 */
export function parseAmount(raw: unknown): Converted<{ amount: string; currency: string | null }> {
  if (typeof raw === 'number' && (!Number.isFinite(raw) || raw.toString().replace(/[-.]/g, '').replace(/e.*$/, '').length > 15)) {
    return bad(`${raw} has too many digits to be exact as a JSON number; send the amount as a string`);
  }
  const text = asText(raw);
  if (text === null) return bad('is empty');
  const scientific = fromScientific(text);
  if (scientific !== null) return scientific;
  const match = /^(?:([A-Z]{3})\s*)?(R\$|[$€£¥₹₩₺₽₴₪₫₦])?\s*(-?[\d,]*\d(?:\.\d+)?)\s*(?:([A-Z]{3}))?$/.exec(text);
  if (!match) return bad(`expected an amount like 1500.50, got ${JSON.stringify(text)}${decimalCommaHint(text) || unknownSignHint(text)}`);
  const named = [match[1], symbolCodes[match[2]], match[4]].filter((c): c is string => c !== undefined);
  if (named.some((c) => c !== named[0])) return bad(`${JSON.stringify(text)} names two currencies, ${named[0]} and ${named.find((c) => c !== named[0])}`);
  let digits = match[3];
  if (digits.includes(',')) {
    // Thousands (1,500,000.00), or lakhs and crores as an Indian locale groups them (15,00,000.00,
    // as Zoho CRM writes rupee amounts there): either way the commas only group, so dropping them is exact.
    if (!/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(digits) && !/^-?\d{1,2}(,\d{2})*,\d{3}(\.\d+)?$/.test(digits)) {
      return bad(`expected an amount like 1,500.50, got ${JSON.stringify(text)}${decimalCommaHint(text)}`);
    }
    digits = digits.replace(/,/g, '');
  }
  return ok({ amount: digits, currency: named[0] ?? null });
}


/**
 * Said when an amount reads as a European locale writes it (1.500,50 or 1 500,50): its comma
 * could be a decimal comma or a grouping one, which salesflow will not guess for money.
 */
function decimalCommaHint(text: string): string {
  if (!/\d,\d{1,2}(?:\s*(?:[A-Z]{3}|[$€£¥]))?$/.test(text)) return '';
  return ' (a decimal comma? amounts are read with a decimal point: set the CRM user\'s or the export\'s number format to 1,500.50)';
}

/** Said when an amount has a sign in front that names no one currency ("Rs. 1,50,000.00"). */
function unknownSignHint(text: string): string {
  const sign = /^([^\d\s,.-][^\d\s]*)\s*-?\d[\d,]*(?:\.\d+)?$/u.exec(text)?.[1];
  return sign && !/^[A-Z]{3}$/.test(sign) ? ` (${JSON.stringify(sign)} names no one currency: send the amount without it, and the currency as its code)` : '';
}

/**
 * "1.25E7" → "12500000": Salesforce writes a currency field as a Java double, which switches to
 * this form from ten million up. The digits are moved, not computed, so the amount stays exactly
 * what was sent. null when the text is not in this form.
 */
function fromScientific(text: string): Converted<{ amount: string; currency: null }> | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = '', exponentText] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > 30) return bad(`${JSON.stringify(text)} is out of range for an amount`);
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const padded = point <= 0 ? '0'.repeat(1 - point) + digits : point > digits.length ? digits + '0'.repeat(point - digits.length) : digits;
  const at = Math.max(point, 1);
  const integer = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const decimals = padded.slice(at);
  return ok({ amount: `${sign}${integer}${decimals ? `.${decimals}` : ''}`, currency: null });
}

/** The calendar day an instant falls on in a time zone. */
function dayIn(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * A date as the CRM wrote it → `YYYY-MM-DD`. Instants (ISO timestamps with an offset, epoch
 * milliseconds as HubSpot sends them) become the day they fall on in `timezone`: a deal closed at
 * 23:30 in New York is closed that day, not the next one in UTC. Plain dates and local date-times
 * are taken as written, in `format` when slashed.
 */
export function parseDate(raw: unknown, timezone: string, format: DateFormat): Converted<string> {
  const text = asText(raw);
  if (text === null) return bad('is empty');
  if (/^\d{11,14}$/.test(text)) {
    // Exactly midnight UTC is how HubSpot sends a date property (a date picker's "Contract signed
    // date"): that day itself, which the API returns as "2026-03-31". Read as an instant it was
    // the day before everywhere west of UTC, a quarter early at a quarter's first day.
    const ms = Number(text);
    return ok(ms % 86_400_000 === 0 ? new Date(ms).toISOString().slice(0, 10) : dayIn(new Date(ms), timezone));
  }
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (iso) {
    if (!isCalendarDate(iso[1])) return bad(`${text} is not a calendar date`);
    if (iso[3]) {
      const instant = new Date(`${iso[1]}T${iso[2]}${iso[3]}`);
      if (Number.isNaN(instant.getTime())) return bad(`${text} is not a valid timestamp`);
      return ok(dayIn(instant, timezone));
    }
    return ok(iso[1]);
  }
  const slashed = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?$/.exec(text);
  if (slashed && format !== 'YYYY-MM-DD') {
    const [month, day] = format === 'MM/DD/YYYY' ? [slashed[1], slashed[2]] : [slashed[2], slashed[1]];
    const date = `${slashed[3]}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
    if (!isCalendarDate(date)) return bad(`${text} is not a calendar date in ${format}`);
    return ok(date);
  }
  if (!slashed) {
    // As a locale prints it: "Mar 15, 2026", "15-Mar-2026", "15-03-2026" (Zoho's merge fields).
    const written = readWritten(text, format, `set date_format: DD/MM/YYYY or MM/DD/YYYY`);
    if (written.ok) return ok(written.value.date);
    if (!('unrecognised' in written)) return bad(written.message);
  }
  return bad(`expected a date like ${format === 'YYYY-MM-DD' ? '2026-03-31' : format.replace('MM', '03').replace('DD', '31').replace('YYYY', '2026')} or an ISO timestamp, got ${JSON.stringify(text)}`);
}

/**
 * An instant (ISO text or epoch ms) as epoch milliseconds, for ordering deliveries and as the
 * event's time; null when absent or unreadable. ISO text without an offset ("2026-03-01 10:00:00",
 * as some CRMs send their local time) is wall-clock time in `timezone`, the mapping's: read by
 * Date.parse it was the server process's zone, so one delivery meant another instant on another
 * machine. Other text (RFC 2822 "Fri, 27 Feb 2026 18:40:12 GMT") is taken only when it names its
 * zone; a date and time as a locale writes it ("03/15/2026 10:30 AM", Zoho's merge fields) is
 * local time in `timezone`, its day/month order the mapping's `format`.
 */
export function parseInstant(raw: unknown, timezone = 'UTC', format: DateFormat = 'YYYY-MM-DD'): number | null {
  const read = readInstant(raw, timezone, format, '');
  return read.ok ? read.value : null;
}

/**
 * parseInstant with the reason when a time is sent but cannot be read ("is empty" when none is).
 * `settingHint` names where the mapping's date_format is set, for a day/month order it lacks.
 */
export function readInstant(raw: unknown, timezone: string, format: DateFormat, settingHint: string): Converted<number> {
  const text = asText(raw);
  if (text === null) return bad('is empty');
  const expected = `expected a time like 2026-03-01T10:00:00Z, Mar 1, 2026 10:00 AM or epoch milliseconds, got ${JSON.stringify(text)}`;
  if (/^\d{11,14}$/.test(text)) return ok(Number(text));
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i.exec(text);
  if (!iso) {
    if (/(?:\bGMT|\bUTC|\dZ|[+-]\d{2}:?\d{2})$/i.test(text)) {
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? bad(expected) : ok(ms);
    }
    const written = readWritten(text, format, `set date_format: MM/DD/YYYY or DD/MM/YYYY${settingHint}`);
    if (!written.ok) return bad('unrecognised' in written ? expected : written.message);
    const { date, hour, minute, second } = written.value;
    const [y, mo, d] = date.split('-').map(Number);
    return ok(fromLocal(dayNumber(y, mo, d), hour, minute, timezone) + second * 1000);
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = iso;
  if (!isCalendarDate(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return bad(`${JSON.stringify(text)} is not a calendar date and time`);
  const subMinute = Number(s) * 1000 + Math.floor(Number(`0${fraction}`) * 1000);
  if (zone === undefined) return ok(fromLocal(dayNumber(Number(y), Number(mo), Number(d)), Number(h), Number(mi), timezone) + subMinute);
  return ok(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) + subMinute - offsetMinutes(zone) * 60_000);
}

/** "Z", "+05:30", "+0530", "-03" as minutes east of UTC. */
function offsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return zone[0] === '-' ? -minutes : minutes;
}

/** Stage lookup ignores case and surrounding spaces: exports write "Closed Won", the API `closedwon`. */
export function stageKey(value: string): string {
  return value.trim().toLowerCase();
}
