// The one module that owns decimal arithmetic and rounding. Nothing else imports decimal.js, and
// money never passes through a JS `number`.
import { Decimal as DecimalJs } from 'decimal.js';
import { minorUnits } from '../plan/catalog.js';

/** A private Decimal constructor so global config elsewhere cannot change our precision. */
export const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_UP });
export type Decimal = InstanceType<typeof Decimal>;

export interface MoneyValue {
  amount: Decimal;
  currency: string;
}

export function dec(value: string | number | Decimal): Decimal {
  return new Decimal(value);
}

export const ZERO = new Decimal(0);

/** Round once, half-up, to the currency's minor unit (SPEC §3). */
export function roundMoney(amount: Decimal, currency: string): Decimal {
  return amount.toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP);
}

/** A decimal string in major units with exactly the currency's minor digits: "15500.00". */
export function formatAmount(amount: Decimal, currency: string): string {
  return roundMoney(amount, currency).toFixed(minorUnits(currency));
}

/** Plain decimal string without exponent ("0.000001", "12.5"). */
export function plainDecimal(value: Decimal): string {
  return value.toFixed();
}

/** Human display: "15,500.00 USD". */
export function displayMoney(amount: Decimal, currency: string): string {
  const fixed = formatAmount(amount, currency);
  const [whole, frac] = fixed.split('.');
  const negative = whole.startsWith('-');
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''} ${currency}`;
}

/** Parse a plain decimal as written in a CSV or event ("1500", "1500.50", "-3"); null if it is not one. */
export function parseDecimal(text: string): Decimal | null {
  const trimmed = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return null;
  return new Decimal(trimmed);
}
