// The largest amount a recorded statement or ledger row can hold: money columns keep the exact
// text and the same value in micros as a signed 64-bit integer (src/data/micros.ts), so SQL sums it
// exactly. A statement total past it (a quarter of a large IDR plan, a mistyped bonus) cannot be
// recorded; simulate and `salesflow test` say so on the statement, and the payout run stops with
// this sentence instead of retrying a write that can never succeed.
import { cmpFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { minorUnits } from '../plan/catalog.js';
import { grouped } from './statement-text.js';

/** 9,223,372,036,854.775807: int64's largest value in micros. */
const LEDGER_MAX: Fixed = { units: 9223372036854775807n, scale: 6 };

/** Whether a statement total (a decimal string in major units) is past what payouts can record. */
export function pastLedgerLimit(total: string): boolean {
  // Twelve whole digits or fewer cannot pass 9,223,372,036,854 (13): no BigInt for nearly every statement.
  const dot = total.indexOf('.');
  const whole = (dot === -1 ? total.length : dot) - (total.charCodeAt(0) === 45 ? 1 : 0);
  if (whole <= 12) return false;
  const value = parseFixed(total);
  return value !== null && cmpFixed(value.units < 0n ? { units: -value.units, scale: value.scale } : value, LEDGER_MAX) > 0;
}

/** The sentence naming the total, the limit and what it means. */
export function ledgerLimitMessage(totalShown: string, currency: string): string {
  // In the currency's minor units, rounded down: what a total (rounded to them) can be at most.
  const minor = minorUnits(currency);
  const most = minor === 0 ? '9223372036854' : `9223372036854.${'775807'.slice(0, minor)}`;
  return `the total ${totalShown} is more than payouts can record (at most ${grouped(most, currency)}): `
    + '`payouts run` refuses this statement; check the rule\'s amounts and rates and the deals\' amounts';
}
