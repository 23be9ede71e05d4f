// Money a rule writes with more decimals than its currency has (`target 100000.005 USD`,
// `up to 150000.001 USD`, `bonus 100.5 JPY`): what statements and emails show, rounded half up to
// the currency's minor unit (ISO 4217), so the checker can say so where it was written.
import { dec, formatAmount } from '../money/index.js';
import type { Money } from '../plan/schema.js';
import { minorUnits } from '../plan/catalog.js';

export interface FinerThanMinorUnit {
  /** The amount as written, with its code: "100000.005 USD". */
  written: string;
  /** What the currency has: "2 decimals", "no minor unit". */
  digits: string;
  /** The amount rounded half up to the minor unit, with its code: "100000.01 USD". */
  rounded: string;
  /** The rounded amount to suggest; none when it is zero (`target 0.001 USD`), which no target or bound may be. */
  suggestion: string | undefined;
}

/** Null when the amount fits the currency's minor unit (trailing zeros are fine: `7.00 JPY`). */
export function finerThanMinorUnit(money: Money): FinerThanMinorUnit | null {
  const { amount, currency } = money;
  const rounded = formatAmount(dec(amount), currency);
  if (dec(rounded).eq(dec(amount))) return null;
  const digits = minorUnits(currency);
  return {
    written: `${amount} ${currency}`,
    digits: digits === 0 ? 'no minor unit' : `${digits} decimal${digits === 1 ? '' : 's'}`,
    rounded: `${rounded} ${currency}`,
    suggestion: dec(rounded).isZero() ? undefined : `${rounded} ${currency}`,
  };
}
