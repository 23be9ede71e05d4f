// Entity records as the runtime passes them around (SQLite rows, event payloads, workflow inputs).
// Money is a decimal string plus a currency code; optional CRM fields are null when unknown.
import { z } from 'zod';

const decimalText = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = typeof v === 'number' ? String(v) : v.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `expected a plain decimal like 1500.50, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return text;
});
const isoDate = z
  .string()
  .trim()
  // Not a date at all is one problem, not also "no such day in that month".
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date like 2026-03-31', abort: true })
  .refine(isCalendarDate, { message: 'not a calendar date (no such day in that month)' });
const optionalText = z.string().nullish().transform((v) => (v === undefined || v === '' ? null : v));
const email = z.string().trim().email('expected an email address');
const optionalEmail = z
  .union([email, z.literal('')])
  .nullish()
  .transform((v) => (v === undefined || v === '' ? null : v));
const timezone = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === '' ? null : v))
  .refine((v) => v === null || isTimeZone(v), { message: 'expected an IANA time zone like Europe/Berlin' });

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
  id: z.string().min(1),
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
  id: z.string().min(1),
  rep: z.string().min(1),
  name: optionalText,
  amount: decimalText,
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected a 3-letter ISO-4217 code like USD'),
  stage: z.enum(['open', 'won', 'lost']),
  product: optionalText,
  type: z.enum(['new', 'renewal', 'expansion']).nullish().transform((v) => v ?? null),
  source: optionalText,
  closed_at: isoDate.nullish().transform((v) => v ?? null),
  contact: optionalEmail,
});
export type DealRecord = z.infer<typeof DealRecord>;

export const LeadRecord = z.object({
  id: z.string().min(1),
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
