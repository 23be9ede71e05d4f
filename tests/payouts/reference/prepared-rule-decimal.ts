// The decimal.js reference of src/payouts/prepared-rule.ts, for the property tests only: the
// same per-rule constants (target, bands, shared lines, cap, bonus and spiff amounts) computed
// with decimal.js, independently of the fixed-point code.
import { Decimal, ZERO, formatAmount, roundMoney } from '../../../src/money/index.js';
import { parseFixed, type Fixed } from '../../../src/money/fixed.js';
import { literalValue, type RuntimeValue } from '../../../src/plan/evaluate.js';
import type { IncentiveRule } from '../../../src/plan/schema.js';
import { minorUnits } from '../../../src/plan/catalog.js';
import { parsePeriod } from '../../../src/payouts/period.js';
import type { StatementLine } from '../../../src/payouts/statement.js';
import { bandRange, grouped, marginalText } from '../../../src/payouts/statement-text.js';

const HUNDRED = new Decimal(100);

/** A line with its rounded amount kept as a Decimal, so totals never re-parse the text. */
export interface PricedLine { line: StatementLine; rounded: Decimal }

/** A line shared by many statements, with its amount for both paths. */
export interface SharedLine extends PricedLine { roundedFixed: Fixed }

export interface PreparedBand {
  bound: Decimal | null;
  boundFixed: Fixed | null;
  lowerShown: string;
  boundShown: string;
  rate: Decimal;
  rateFixed: Fixed;
  rateShown: string;
  label: string;
  /** The marginal line when the measure passes this whole band: the same for every rep. */
  full: SharedLine | null;
}

export interface PreparedRule {
  target: Decimal;
  targetFixed: Fixed;
  targetText: string;
  bands: PreparedBand[];
  cap: { amount: Decimal; amountFixed: Fixed; shown: string } | null;
  bonuses: { amount: Decimal; amountFixed: Fixed; shown: string }[];
  spiffs: { each: Decimal; eachFixed: Fixed; shown: string }[];
  windows: Map<string, { start: string; end: string } | null>;
}

export function numericValue(value: RuntimeValue | undefined): Decimal | null {
  if (!value) return null;
  if (value.type === 'money') return value.value.amount;
  if (value.type === 'number' || value.type === 'percent') return value.value;
  return null;
}

/** A decimal.js value as the exact fixed-point value with the same digits. */
export function toFixedValue(d: Decimal): Fixed {
  const f = parseFixed(d.toFixed());
  if (!f) throw new Error(`not a finite decimal: ${d.toString()}`);
  return f;
}


const prepared = new WeakMap<IncentiveRule, PreparedRule>();

export function prepareRule(rule: IncentiveRule): PreparedRule {
  const cached = prepared.get(rule);
  if (cached) return cached;
  const cur = rule.currency;
  const show = (d: Decimal) => grouped(formatAmount(d, cur), cur);
  const target = numericValue(literalValue(rule.target));
  if (target === null) throw new Error(`incentive ${rule.id}: target is not numeric (${rule.target.type})`);
  let lower = ZERO;
  const bands = (rule.commission?.bands ?? []).map((band): PreparedBand => {
    const bound = band.upTo === null ? null : target.times(band.upTo).div(HUNDRED);
    const rate = new Decimal(band.rate).div(HUNDRED);
    const rateShown = `${new Decimal(band.rate).toFixed()}%`;
    const label = band.upTo === null ? 'above' : `up to ${band.upTo}%`;
    const lowerShown = show(lower);
    const boundShown = bound === null ? '' : show(bound);
    const width = bound === null ? ZERO : bound.minus(lower);
    let full: SharedLine | null = null;
    if (bound !== null && width.gt(ZERO)) {
      const rounded = roundMoney(width.times(rate), cur);
      // Shared by every statement that passes the band, hence frozen.
      const line: StatementLine = Object.freeze({
        kind: 'commission',
        description: marginalText(rule.measure.metric, bandRange(lowerShown, boundShown), label, show(width), rateShown, show(rounded)),
        amount: formatAmount(rounded, cur),
      });
      full = Object.freeze({ line, rounded, roundedFixed: toFixedValue(rounded) });
    }
    if (bound !== null && bound.gt(lower)) lower = bound;
    return {
      bound, boundFixed: bound === null ? null : toFixedValue(bound), lowerShown, boundShown,
      rate, rateFixed: toFixedValue(rate), rateShown, label, full,
    };
  });
  const money = (amount: string) => {
    const rounded = roundMoney(new Decimal(amount), cur);
    return { amount: rounded, amountFixed: toFixedValue(rounded), shown: show(new Decimal(amount)) };
  };
  const result: PreparedRule = {
    target,
    targetFixed: toFixedValue(target),
    targetText: rule.target.type === 'money' ? formatAmount(target, cur) : target.toFixed(),
    bands,
    cap: rule.cap ? money(rule.cap.amount) : null,
    bonuses: rule.bonuses.map((b) => money(b.amount.amount)),
    spiffs: rule.spiffs.map((s) => {
      const each = new Decimal(s.amount.amount);
      // Shown exactly when it has more decimals than the currency (the line rounds the product once).
      return { each, eachFixed: toFixedValue(each), shown: each.decimalPlaces() > minorUnits(cur) ? grouped(each.toFixed(), cur) : show(each) };
    }),
    windows: new Map(),
  };
  prepared.set(rule, result);
  return result;
}

/** The period's own dates, parsed once per rule and period. */
export function periodWindow(p: PreparedRule, period: string): { start: string; end: string } | null {
  let window = p.windows.get(period);
  if (window === undefined) {
    const parsed = parsePeriod(period);
    window = parsed.ok ? { start: parsed.period.start, end: parsed.period.end } : null;
    p.windows.set(period, window);
  }
  return window;
}
