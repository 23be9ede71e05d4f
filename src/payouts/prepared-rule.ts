// Everything about an incentive rule that does not depend on the rep, computed once per rule (not
// per statement) on exact fixed-point values: target, band bounds and rates, the marginal line of
// each whole band (the same for every rep whose measure passes it), cap, bonus and spiff amounts.
// A prorated rep gets its own bands from `resolveBands` with its prorated target and bounds.
import { fixedText, mulFixed, parseFixed, plainFixed, roundFixed, subFixed, cmpFixed, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import { minorUnits } from '../plan/catalog.js';
import type { IncentiveRule } from '../plan/schema.js';
import { parsePeriod } from './period.js';
import type { StatementLine } from './statement.js';
import { bandRange, grouped, marginalText } from './statement-text.js';

/** A line shared by many statements, with its rounded amount. */
export interface SharedLine { line: StatementLine; roundedFixed: Fixed }

export interface PreparedBand {
  /** The bound as an amount of the measure (inclusive); null for `above`. */
  boundFixed: Fixed | null;
  lowerShown: string;
  boundShown: string;
  /** The rate as a fraction (8% → 0.08). */
  rateFixed: Fixed;
  rateShown: string;
  label: string;
  /** The marginal line when the measure passes this whole band. */
  full: SharedLine | null;
}

export interface PreparedRule {
  targetFixed: Fixed;
  targetText: string;
  /** Bounds are amounts (`up to 150000 USD`) rather than % of target. */
  amountBounds: boolean;
  bands: PreparedBand[];
  /** The bands' bounds as written in % of target (null: `above`); empty for amount bounds. */
  percentBounds: (Fixed | null)[];
  cap: { amountFixed: Fixed; shown: string } | null;
  bonuses: { amountFixed: Fixed; shown: string }[];
  spiffs: { eachFixed: Fixed; shown: string }[];
  windows: Map<string, { start: string; end: string } | null>;
}

/** Exact decimal text from the plan (validated by the plan schema), as a fixed-point value. */
export function planDecimal(text: string): Fixed {
  const f = parseFixed(text);
  if (!f) throw new Error(`not a plain decimal in the plan: ${text}`);
  return f;
}

const percentOf = (value: Fixed, percent: Fixed): Fixed => {
  const p = mulFixed(value, percent);
  return { units: p.units, scale: p.scale + 2 };
};

/**
 * The bands of a rule for one target. `amountBound` turns a written amount bound into the bound
 * used (the identity, or its proration); a % bound is that % of `target`.
 */
export function resolveBands(rule: IncentiveRule, target: Fixed, amountBound: (written: Fixed) => Fixed): PreparedBand[] {
  const cur = rule.currency;
  const minor = minorUnits(cur);
  const show = (f: Fixed) => grouped(fixedText(f, minor), cur);
  const amounts = rule.commission?.bounds === 'amount';
  let lower: Fixed = FIXED_ZERO;
  return (rule.commission?.bands ?? []).map((band): PreparedBand => {
    const written = band.upTo === null ? null : planDecimal(band.upTo);
    const bound = written === null ? null : amounts ? amountBound(written) : percentOf(target, written);
    const rate = planDecimal(band.rate);
    const rateFixed = { units: rate.units, scale: rate.scale + 2 };
    const rateShown = `${plainFixed(rate)}%`;
    const label = band.upTo === null ? 'above' : amounts ? `up to ${band.upTo} ${cur}` : `up to ${band.upTo}%`;
    const lowerShown = show(lower);
    const boundShown = bound === null ? '' : show(bound);
    let full: SharedLine | null = null;
    if (bound !== null && cmpFixed(bound, lower) > 0) {
      const width = subFixed(bound, lower);
      const rounded = roundFixed(mulFixed(width, rateFixed), minor);
      // Shared by every statement that passes the band, hence frozen.
      const line: StatementLine = Object.freeze({
        kind: 'commission',
        description: marginalText(rule.measure.metric, bandRange(lowerShown, boundShown), label, show(width), rateShown, show(rounded)),
        amount: fixedText(rounded, minor),
      });
      full = Object.freeze({ line, roundedFixed: rounded });
    }
    if (bound !== null && cmpFixed(bound, lower) > 0) lower = bound;
    return { boundFixed: bound, lowerShown, boundShown, rateFixed, rateShown, label, full };
  });
}

const prepared = new WeakMap<IncentiveRule, PreparedRule>();

export function prepareRule(rule: IncentiveRule): PreparedRule {
  const cached = prepared.get(rule);
  if (cached) return cached;
  const cur = rule.currency;
  const minor = minorUnits(cur);
  const show = (f: Fixed) => grouped(fixedText(f, minor), cur);
  const t = rule.target;
  const targetText = t.type === 'money' ? t.value.amount : t.type === 'number' || t.type === 'percent' ? t.value : null;
  if (targetText === null) throw new Error(`incentive ${rule.id}: target is not numeric (${t.type})`);
  const target = planDecimal(targetText);
  const money = (amount: string) => {
    const value = planDecimal(amount);
    return { amountFixed: roundFixed(value, minor), shown: show(value) };
  };
  const result: PreparedRule = {
    targetFixed: target,
    targetText: t.type === 'money' ? fixedText(target, minor) : plainFixed(target),
    amountBounds: rule.commission?.bounds === 'amount',
    bands: resolveBands(rule, target, (written) => written),
    percentBounds: rule.commission && rule.commission.bounds !== 'amount'
      ? rule.commission.bands.map((b) => (b.upTo === null ? null : planDecimal(b.upTo)))
      : [],
    cap: rule.cap ? money(rule.cap.amount) : null,
    bonuses: rule.bonuses.map((b) => money(b.amount.amount)),
    spiffs: rule.spiffs.map((s) => {
      // Not rounded: the line is the count × this exact amount, rounded once. Shown in full when it
      // has more decimals than the currency (`spiff 0.333 USD`: "2 × 0.333 USD = 0.67 USD", not
      // "2 × 0.33 USD = 0.67 USD").
      const each = planDecimal(s.amount.amount);
      const exact = plainFixed(each);
      const decimals = exact.includes('.') ? exact.length - exact.indexOf('.') - 1 : 0;
      return { eachFixed: each, shown: decimals > minor ? grouped(exact, cur) : show(each) };
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
