// Money columns hold the exact decimal text and the same value scaled by 10^6 as an INTEGER
// (`amount_micros`), so SQL sums money exactly in int64. Conversions go through src/money only.
import type { Fixed } from '../money/fixed.js';
import { Decimal, parseDecimal } from '../money/index.js';

const SCALE = new Decimal(1_000_000);
const INT64_MAX = 9223372036854775807n;

export type MicrosResult = { ok: true; micros: bigint } | { ok: false; message: string };

/** "1500.50" → 1500500000n; more than 6 decimals or out of int64 range is an error value. */
export function toMicros(text: string): MicrosResult {
  const value = parseDecimal(text);
  if (!value) return { ok: false, message: `expected a plain decimal like 1500.50, got ${JSON.stringify(text)}` };
  const scaled = value.times(SCALE);
  if (!scaled.isInteger()) return { ok: false, message: `${text.trim()} has more than 6 decimal places` };
  const micros = BigInt(scaled.toFixed(0));
  if (micros > INT64_MAX || micros < -INT64_MAX) return { ok: false, message: `${text.trim()} is too large: amounts are stored exactly up to 9223372036854.775807 (int64 micros)` };
  return { ok: true, micros };
}

/** Micros (as SQLite returns them: number or bigint) back to an exact Decimal in major units. */
export function fromMicros(micros: bigint | number): Decimal {
  return new Decimal(micros.toString()).div(SCALE);
}

/** A Decimal amount as micros; for values already known to have at most 6 decimals. */
export function decimalToMicros(amount: Decimal): bigint {
  return BigInt(amount.times(SCALE).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/**
 * Micros as a plain decimal string ("1500500000" → "1500.5") by moving the decimal point: exact,
 * and much cheaper than Decimal arithmetic when 100k metrics come out of one query.
 */
export function microsText(micros: bigint | number | string): string {
  if (typeof micros === 'number' && Number.isSafeInteger(micros)) return numberMicrosText(micros);
  const text = String(micros);
  const negative = text.charCodeAt(0) === 45; // '-'
  const start = negative ? 1 : 0;
  if (text.length === start) throw new Error(`microsText: not an integer: ${text}`);
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) throw new Error(`microsText: not an integer: ${text}`);
  }
  let digits = text.slice(start);
  if (digits.length < 7) digits = '0000000'.slice(digits.length) + digits;
  let end = digits.length;
  while (end > digits.length - 6 && digits.charCodeAt(end - 1) === 48) end--;
  let first = 0;
  while (first < digits.length - 7 && digits.charCodeAt(first) === 48) first++;
  const whole = digits.slice(first, digits.length - 6);
  const body = end > digits.length - 6 ? `${whole}.${digits.slice(digits.length - 6, end)}` : whole;
  return negative && body !== '0' ? `-${body}` : body;
}

/** Integer micros below 2^53 (a JS number) as plain decimal text, exactly as plainFixed writes them ("-0.5", "12", "0"). */
export function numberMicrosText(micros: number): string {
  const negative = micros < 0;
  const abs = negative ? -micros : micros;
  // Whole units and the fraction by integer arithmetic, exact below 2^53 (no float division).
  let fraction = abs % 1_000_000;
  const whole = String((abs - fraction) / 1_000_000);
  if (fraction === 0) return negative ? `-${whole}` : whole;
  let places = 6;
  while (fraction % 10 === 0) { fraction /= 10; places--; }
  const digits = String(fraction);
  return (negative ? '-' : '') + whole + '.' + (digits.length < places ? ZEROS[places - digits.length] + digits : digits);
}

const ZEROS = ['', '0', '00', '000', '0000', '00000'];

/** Integer micros below 2^53 as the Fixed parseFixed reads from numberMicrosText's text: trailing zeros dropped ("12.5" is 125 at scale 1). */
export function microsFixed(micros: number): Fixed {
  let units = micros;
  let scale = 6;
  while (scale > 0 && units % 10 === 0) { units /= 10; scale--; }
  return { units: BigInt(units), scale };
}
