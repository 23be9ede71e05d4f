// Entity records as the runtime passes them around (SQLite rows, event payloads, workflow inputs).
// Money is a decimal string plus a currency code; optional CRM fields are null when unknown.
import { z } from 'zod';

const decimalText = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = typeof v === 'number' ? String(v) : v.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `expected a plain decimal like 1500.50, got ${JSON.stringify(v)}${decimalHint(text)}` });
    return z.NEVER;
  }
  return text;
});

/**
 * How to write a number that spreadsheets and CRM exports format for reading ("1,000.00",
 * "$1,234.56", "1 234,56", "1e3"): the plain decimal it stands for when that is certain, else
 * what to change. Empty when the text is no such form.
 */
function decimalHint(text: string): string {
  // Spreadsheets export "1,000.00" when a cell is formatted with separators; say what to do.
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) return ` (write it without thousands separators: ${text.replace(/,/g, '')})`;
  const symbol = /^(-?)\s*[$€£¥]\s*(-?)([\d,]*\d(?:\.\d+)?)$/.exec(text);
  if (symbol) {
    const plain = `${symbol[1] || symbol[2]}${/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(symbol[3]) ? symbol[3].replace(/,/g, '') : symbol[3]}`;
    return /^-?\d+(\.\d+)?$/.test(plain) ? ` (write it without the currency symbol: ${plain}; the currency goes in its own column)` : '';
  }
  // A decimal comma ("1234,56", "1 234,56", "1.234,56"): the European way of writing it.
  if (/^-?\d{1,3}([ .\u00a0\u202f]\d{3})*,\d+$/.test(text) || /^-?\d+,\d{1,2}$/.test(text)) {
    return ` (write it with a decimal point and no separators: ${text.replace(/[ .\u00a0\u202f]/g, '').replace(',', '.')})`;
  }
  if (/^-?\d+(\.\d+)?[eE][+-]?\d+$/.test(text)) return ' (scientific notation: write the number in full, formatting the column as a number before saving)';
  return '';
}
/**
 * A money amount: a plain decimal that the data source stores exactly as int64 micros (at most 6
 * decimals, |value| < 2^63 micros). Checked here, where every source of deals (CSV, `events send`,
 * webhooks) validates, so a bad amount is the sender's error with the field named, never a failure
 * after validation. The messages are those of src/data/micros.ts, which stores the value.
 */
const INT64_MAX = 9223372036854775807n;
const moneyText = decimalText.superRefine((text, ctx) => {
  const [whole, written = ''] = text.replace(/^-/, '').split('.');
  const fraction = written.replace(/0+$/, ''); // 1.5000000 is 1.5
  if (fraction.length > 6) ctx.addIssue({ code: 'custom', message: `${text} has more than 6 decimal places` });
  else if (BigInt(whole + fraction.padEnd(6, '0')) > INT64_MAX) ctx.addIssue({ code: 'custom', message: `${text} is too large: amounts are stored exactly up to 9223372036854.775807 (int64 micros)` });
});

/** One of a few words, with a message that shows them and the value given (zod's default does not). */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const listed = `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? 'is required' : `expected ${listed}, got ${JSON.stringify(issue.input)}${caseHint(values, issue.input)}`),
  });
}

/** `; did you mean "won"? (values are lower case)` for `Won` or ` WON ` (a CRM's export), else ''. */
export function caseHint(values: readonly string[], input: unknown): string {
  if (typeof input !== 'string') return '';
  const meant = values.find((v) => v === input.trim().toLowerCase());
  return meant ? `; did you mean ${JSON.stringify(meant)}? (values are lower case)` : '';
}

/**
 * What is wrong with a date that is not YYYY-MM-DD, with the value. The forms spreadsheets and
 * exports write instead get a word each: Excel's serial numbers (a date column saved unformatted),
 * slashed dates (whose day and month order the value cannot tell), a date with a time.
 */
export function dateProblem(value: string): string {
  const base = `expected a date like 2026-03-31, got ${JSON.stringify(value)}`;
  if (/^\d{5}(\.\d+)?$/.test(value)) {
    // Excel's 1900 date system: serial 1 is 1900-01-01 and it counts a 29 February 1900 that never was.
    const day = new Date(Date.UTC(1899, 11, 30) + Math.floor(Number(value)) * 86_400_000).toISOString().slice(0, 10);
    return `${base} (Excel's serial number for ${day}? format the column as a date, yyyy-mm-dd, before saving as CSV)`;
  }
  if (/^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$/.test(value)) return `${base} (write dates as YYYY-MM-DD: whether ${value} is day or month first cannot be told)`;
  const timestamp = /^(\d{4}-\d{2}-\d{2})[T ]\d/.exec(value);
  if (timestamp) return `${base} (a date and time: write the date alone, like ${timestamp[1]})`;
  return base;
}

const isoDate = z
  .string()
  .trim()
  // Not a date at all is one problem, not also "no such day in that month".
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: (issue) => dateProblem(String(issue.input).trim()), abort: true })
  // The value is in the message: the other date problems show what was written, and a row of
  // several dates (start_date, end_date) must say which one is impossible.
  .refine(isCalendarDate, { error: (issue) => `${String(issue.input).trim()} is not a calendar date (no such day in that month)` });
/**
 * A NUL character is in no name, company or id anyone means, and PostgreSQL cannot store it in
 * text: an event carrying one failed at the insert, was answered "retry later", and every retry
 * failed the same way. Refused here, for every source, with the field named.
 */
export const NUL_MESSAGE = 'contains a NUL character (U+0000), which cannot be stored: remove it';
/**
 * Text is trimmed as a CSV cell is (src/data/import-rows.ts), so an event about " L-1 " is about the
 * lead L-1 that an import wrote, not a second lead with its own sequence runs, and blank is empty.
 */
const optionalText = z.string().nullish().transform((v, ctx) => {
  const text = v?.trim();
  if (text?.includes('\u0000')) {
    ctx.addIssue({ code: 'custom', message: NUL_MESSAGE });
    return z.NEVER;
  }
  return text === undefined || text === '' ? null : text;
});
/**
 * An id, or a field naming one (deal.rep): trimmed, and blank is as good as missing. At most 200
 * characters (as event ids): a lead's or deal's id is part of its sequence runs' workflow ids,
 * which Temporal caps at 1,000, and a longer one made every delivery fail with "retry later". An id
 * sent as a JSON number (`"id": 42`) is named with its value, not as zod's "expected string".
 */
const idText = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected a text id, got ${JSON.stringify(issue.input)} (write it in quotes: ${JSON.stringify(JSON.stringify(issue.input))})`) })
  .trim().min(1, 'must not be blank').max(200, 'at most 200 characters').refine((id) => !id.includes('\u0000'), NUL_MESSAGE);
/**
 * zod's email pattern (z.regexes.email) with the letters, marks and digits of every script in place
 * of ASCII's: CRMs hold internationalized addresses (RFC 6531: `élise@acme.fr`, `jörg@bücher.de`),
 * and refusing them refused the whole file or event. What is the same address is emailKey's
 * business (src/data/email-key.ts), not this pattern's.
 */
export const emailPattern = /^(?:[\p{L}\p{M}\p{N}_'+\-]+\.)*[\p{L}\p{M}\p{N}_'+\-]*[\p{L}\p{M}\p{N}_+-]@(?:[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}\-]*\.)+[\p{L}\p{M}]{2,}$/u;
const email = z.string().trim().regex(emailPattern, 'expected an email address');
const optionalEmail = z
  .union([email, z.literal('')])
  .nullish()
  .transform((v) => (v === undefined || v === '' ? null : v));
const timezone = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === '' ? null : v))
  .refine((v) => v === null || isTimeZone(v), { error: (issue) => zoneProblem(String(issue.input)) })
  .transform((v) => (v === null ? null : zoneSpelling(v)));

/**
 * What is wrong with a time zone value. An offset ("GMT+1", "UTC+01:00", "+05:30", as spreadsheets
 * and some CRMs write zones) is no zone: it does not follow daylight saving, and the tz database's
 * fixed-offset zones run the other way (Etc/GMT-1 is UTC+1), so the message says what to write.
 */
export function zoneProblem(value: string): string {
  const base = `expected an IANA time zone like Europe/Berlin, got ${JSON.stringify(value)}`;
  const offset = /^(?:(?:GMT|UTC)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(value.trim());
  if (!offset) return base;
  const [, sign, hours, minutes = '00'] = offset;
  const whole = minutes === '00' && Number(hours) <= 14;
  const fixed = whole ? ` (or Etc/GMT${sign === '+' ? '-' : '+'}${Number(hours)} for a fixed UTC${sign}${Number(hours)}, daylight saving never applied)` : '';
  return `${base}: an offset is not a time zone; write the place's zone, like Europe/Berlin or America/New_York${fixed}`;
}

/**
 * Time zone names match without regard to case ("europe/berlin" works), but are stored as the
 * tz database spells them, so one zone is one name in emails, backtests and per-zone schedules, and
 * Temporal (whose Go runtime looks zones up case-sensitively) takes a schedule's zone. Only the case
 * is changed, never the name: ICU's canonical ids would turn Asia/Kolkata into Asia/Calcutta.
 * A name ICU lists is written as listed; an alias ICU does not list (Asia/Kolkata, Europe/Kyiv) as
 * the tz database's Title_Case words when that names the same zone.
 */
const spellings = new Map<string, string>(); // a file repeats a few zones a million times
let listed: Map<string, string> | undefined;

/**
 * tz database names ICU does not list whose spelling no Title_Case rule gives (from tzdata 2025b's
 * zones and links): without them `EST5EDT` was respelled `Est5Edt` and `etc/gmt+5` `Etc/Gmt+5`, names
 * Temporal's case-sensitive lookup does not find, so a schedule in that zone could not be made.
 */
const irregularZones = [
  'EST5EDT', 'CST6CDT', 'MST7MDT', 'PST8PDT', 'GMT0', 'GMT+0', 'GMT-0', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0',
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${i + 1}`), ...Array.from({ length: 14 }, (_, i) => `Etc/GMT-${i + 1}`),
  'NZ-CHAT', 'W-SU', 'GB-Eire', 'Brazil/DeNoronha', 'Chile/EasterIsland', 'Mexico/BajaNorte', 'Mexico/BajaSur',
  'America/Knox_IN', 'America/Argentina/ComodRivadavia', 'Pacific/Yap',
];

export function zoneSpelling(name: string): string {
  let spelled = spellings.get(name);
  if (spelled === undefined) {
    listed ??= new Map([...irregularZones, ...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT'].map((z) => [z.toLowerCase(), z]));
    spelled = listed.get(name.toLowerCase()) ?? titleCased(name);
    if (spellings.size >= 1000) spellings.clear();
    spellings.set(name, spelled);
  }
  return spelled;
}

/**
 * `asia/ho_chi_minh` → `Asia/Ho_Chi_Minh`, `us/pacific` → `US/Pacific`, when both name one zone. Only
 * a name written all in lower or all in upper case is respelled: a mixed-case one is taken as its
 * writer spelled it.
 */
function titleCased(name: string): string {
  if (name !== name.toLowerCase() && name !== name.toUpperCase()) return name;
  const candidate = name.split('/').map((part) => {
    // Short whole segments are abbreviations (US/Pacific, GB, NZ), except the tz database's Etc/.
    if (/^[A-Za-z]{1,3}$/.test(part) && part.toLowerCase() !== 'etc') return part.toUpperCase();
    return part.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
  }).join('/');
  if (candidate === name) return name;
  const zoneOf = (z: string) => new Intl.DateTimeFormat('en-US', { timeZone: z }).resolvedOptions().timeZone;
  try {
    return zoneOf(candidate) === zoneOf(name) ? candidate : name;
  } catch {
    return name;
  }
}

/** `YYYY-MM-DD` names a real day: 2026-02-30 and 2026-13-05 do not. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const RepRecord = z.object({
  id: idText,
  name: z.string().min(1),
  email,
  team: optionalText,
  role: optionalText,
  region: optionalText,
  manager: optionalEmail,
  timezone,
  start_date: isoDate.nullish().transform((v) => v ?? null),
  /** Last day employed (inclusive); absent or null while employed. */
  end_date: isoDate.nullish(),
});
export type RepRecord = z.infer<typeof RepRecord>;

export const DealRecord = z.object({
  id: idText,
  rep: idText,
  name: optionalText,
  amount: moneyText,
  currency: z.string().regex(/^[A-Z]{3}$/, { error: (issue) => `expected a 3-letter ISO-4217 code like USD, got ${JSON.stringify(issue.input)}` }),
  stage: oneOf(['open', 'won', 'lost']),
  product: optionalText,
  type: oneOf(['new', 'renewal', 'expansion']).nullish().transform((v) => v ?? null),
  source: optionalText,
  closed_at: isoDate.nullish().transform((v) => v ?? null),
  contact: optionalEmail,
});
export type DealRecord = z.infer<typeof DealRecord>;

export const LeadRecord = z.object({
  id: idText,
  name: optionalText,
  email,
  company: optionalText,
  source: optionalText,
  stage: optionalText,
  owner: optionalText,
  timezone,
  score: decimalText.nullish().transform((v) => v ?? null),
});
export type LeadRecord = z.infer<typeof LeadRecord>;

export interface EntityRecords {
  rep?: RepRecord;
  deal?: DealRecord;
  lead?: LeadRecord;
}
