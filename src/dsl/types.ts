// Type names and the small predicates the expression checker is built from (SPEC §3).
import type { Expr, ValueType } from '../plan/schema.js';

export interface Typed {
  type: ValueType;
  currency?: string;
}

export function describeType(t: Typed): string {
  switch (t.type) {
    case 'money': return t.currency ? `money (${t.currency})` : 'money';
    case 'number': return 'a number';
    case 'percent': return 'a percent';
    case 'string': return 'a string';
    case 'duration': return 'a duration';
    case 'date': return 'a date';
    case 'time': return 'a time of day';
    case 'bool': return 'true/false';
  }
}

/** Money of an unknown currency (a deal's amount) is compatible with money of any currency. */
export function sameCurrency(a: Typed, b: Typed): boolean {
  return a.currency === undefined || b.currency === undefined || a.currency === b.currency;
}

export function sameType(a: Typed, b: Typed): boolean {
  return a.type === b.type && (a.type !== 'money' || sameCurrency(a, b));
}

export function withCurrency<T extends object>(node: T, currency: string | undefined): T {
  return currency === undefined ? node : { ...node, currency };
}

export function typeOf(expr: Expr): Typed {
  return 'currency' in expr && expr.currency !== undefined ? { type: expr.type, currency: expr.currency } : { type: expr.type };
}

const orderable = new Set<ValueType>(['number', 'money', 'percent', 'date', 'time', 'duration', 'string']);
export function isOrderable(type: ValueType): boolean {
  return orderable.has(type);
}

let currencies: Set<string> | undefined;
/** ISO-4217 codes known to the runtime's Intl data. */
export function isKnownCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

export function knownCurrencies(): Iterable<string> {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies;
}

export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** "9:00" → "09:00"; null when not a time of day. */
export function normalizeTime(text: string): string | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${match[2]}`;
}

const zoneCache = new Map<string, boolean>();
let canonicalZones: Set<string> | undefined;
export function isTimeZone(name: string): boolean {
  // The canonical list costs ~2 ms; constructing a formatter with a time zone loads ICU's zone
  // data (~40 ms), so it is only the fallback for aliases such as "US/Eastern".
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
  if (canonicalZones.has(name)) return true;
  let known = zoneCache.get(name);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      known = true;
    } catch {
      known = false;
    }
    zoneCache.set(name, known);
  }
  return known;
}
