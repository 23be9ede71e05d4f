// The one statement function (SPEC §5): commission bands, bonuses, spiffs, cap and rewards of an
// incentive rule for one rep and period, from facts the data layer gathered. Pure and exact:
// `simulate`, `salesflow test` and the payout workflow's activity all call this, so they can
// never disagree. Each money line is rounded once, half-up, to the currency's minor unit; the total
// is the sum of the rounded lines (and of the cap cut).
import { z } from 'zod';
import { Decimal, ZERO, displayMoney, formatAmount, roundMoney } from '../money/index.js';
import { holds, literalValue, metricsUsed, type EvalContext, type RuntimeValue } from '../plan/evaluate.js';
import { minorUnits } from '../plan/catalog.js';
import type { RepRecord } from '../plan/records.js';
import type { Expr, IncentiveRule } from '../plan/schema.js';
import { metricValue, type StatementFacts } from './facts.js';
import { parsePeriod } from './period.js';

export const LineKind = z.enum(['commission', 'bonus', 'spiff', 'cap']);
export type LineKind = z.infer<typeof LineKind>;

const amountText = z.string().regex(/^-?\d+(\.\d+)?$/);

export const StatementLine = z.object({
  kind: LineKind,
  /** How the line was computed: measure, band, rate, amount. */
  description: z.string(),
  /** Decimal string in major units with the currency's minor digits: "15500.00". */
  amount: amountText,
});
export type StatementLine = z.infer<typeof StatementLine>;

export const Statement = z.object({
  rule: z.string(),
  ruleId: z.string(),
  ruleVersion: z.string(),
  rep: z.string(),
  repName: z.string(),
  period: z.string(),
  currency: z.string(),
  /** Name of the measured metric (`revenue`, a custom metric, ...). */
  measureMetric: z.string(),
  /** The measure's value as a decimal string (money in major units); null when undefined. */
  measure: amountText.nullable(),
  target: amountText,
  /** measure ÷ target in percent, two decimals ("160.00"); null when the target is zero or the measure unknown. */
  attainment: amountText.nullable(),
  lines: z.array(StatementLine),
  capped: z.boolean(),
  total: amountText,
  /** Non-monetary rewards earned. */
  rewards: z.array(z.string()),
  /** Deals left out (other currency), cut effective dates, lines that could not be paid. */
  warnings: z.array(z.string()),
});
export type Statement = z.infer<typeof Statement>;

const HUNDRED = new Decimal(100);

function numericValue(value: RuntimeValue | undefined): Decimal | null {
  if (!value) return null;
  if (value.type === 'money') return value.value.amount;
  if (value.type === 'number' || value.type === 'percent') return value.value;
  return null;
}

/** "1234567.50" → "1,234,567.50 USD": display of an already formatted amount, without re-rounding. */
function grouped(fixed: string, currency: string): string {
  const negative = fixed.startsWith('-');
  const digits = negative ? fixed.slice(1) : fixed;
  const dot = digits.indexOf('.');
  const whole = dot === -1 ? digits : digits.slice(0, dot);
  let out = '';
  for (let i = 0; i < whole.length; i++) {
    if (i > 0 && (whole.length - i) % 3 === 0) out += ',';
    out += whole[i];
  }
  return `${negative ? '-' : ''}${out}${dot === -1 ? '' : digits.slice(dot)} ${currency}`;
}

/** A line with its rounded amount kept as a Decimal, so totals never re-parse the text. */
interface PricedLine { line: StatementLine; rounded: Decimal }

function priced(kind: LineKind, description: string, rounded: Decimal, currency: string): PricedLine {
  return { line: { kind, description, amount: rounded.toFixed(minorUnits(currency)) }, rounded };
}

function marginalLine(name: string, range: string, label: string, portionShown: string, rateShown: string, amount: Decimal, cur: string): PricedLine {
  const rounded = roundMoney(amount, cur);
  const text = rounded.toFixed(minorUnits(cur));
  return {
    line: {
      kind: 'commission',
      description: `marginal: ${name} ${range} (band "${label}"): ${portionShown} × ${rateShown} = ${grouped(text, cur)}`,
      amount: text,
    },
    rounded,
  };
}

function freezeLine(item: PricedLine): PricedLine {
  Object.freeze(item.line);
  return Object.freeze(item);
}

/** Everything about a rule that does not depend on the rep: computed once per rule, not per statement. */
interface PreparedRule {
  target: Decimal;
  targetText: string;
  bands: {
    bound: Decimal | null;
    lowerShown: string;
    boundShown: string;
    rate: Decimal;
    rateShown: string;
    label: string;
    /** The marginal line when the measure passes this whole band: the same for every rep. */
    full: PricedLine | null;
  }[];
  cap: { amount: Decimal; shown: string } | null;
  bonuses: { amount: Decimal; shown: string }[];
  spiffs: { each: Decimal; shown: string }[];
  windows: Map<string, { start: string; end: string } | null>;
}

const prepared = new WeakMap<IncentiveRule, PreparedRule>();

function prepare(rule: IncentiveRule): PreparedRule {
  const cached = prepared.get(rule);
  if (cached) return cached;
  const cur = rule.currency;
  const show = (d: Decimal) => grouped(formatAmount(d, cur), cur);
  const target = numericValue(literalValue(rule.target));
  if (target === null) throw new Error(`incentive ${rule.id}: target is not numeric (${rule.target.type})`);
  let lower = ZERO;
  const bands = (rule.commission?.bands ?? []).map((band) => {
    const bound = band.upTo === null ? null : target.times(band.upTo).div(HUNDRED);
    const rate = new Decimal(band.rate).div(HUNDRED);
    const rateShown = `${new Decimal(band.rate).toFixed()}%`;
    const label = band.upTo === null ? 'above' : `up to ${band.upTo}%`;
    const lowerShown = show(lower);
    const boundShown = bound === null ? '' : show(bound);
    const width = bound === null ? ZERO : bound.minus(lower);
    // Shared by every statement that passes the band, hence frozen.
    const full = bound !== null && width.gt(ZERO)
      ? freezeLine(marginalLine(rule.measure.metric, `${lowerShown} to ${boundShown}`, label, show(width), rateShown, width.times(rate), cur))
      : null;
    if (bound !== null && bound.gt(lower)) lower = bound;
    return { bound, lowerShown, boundShown, rate, rateShown, label, full };
  });
  const result: PreparedRule = {
    target,
    targetText: rule.target.type === 'money' ? formatAmount(target, cur) : target.toFixed(),
    bands,
    cap: rule.cap ? { amount: roundMoney(new Decimal(rule.cap.amount), cur), shown: show(new Decimal(rule.cap.amount)) } : null,
    bonuses: rule.bonuses.map((b) => ({ amount: roundMoney(new Decimal(b.amount.amount), cur), shown: show(new Decimal(b.amount.amount)) })),
    spiffs: rule.spiffs.map((s) => ({ each: new Decimal(s.amount.amount), shown: show(new Decimal(s.amount.amount)) })),
    windows: new Map(),
  };
  prepared.set(rule, result);
  return result;
}


function commissionLines(
  rule: IncentiveRule,
  p: PreparedRule,
  measure: Decimal,
  measureText: string,
  attainment: Decimal | null,
  warnings: string[],
): PricedLine[] {
  const commission = rule.commission;
  if (!commission || measure.lte(ZERO)) return [];
  const cur = rule.currency;
  const name = rule.measure.metric;
  const measureShown = grouped(measureText, cur);

  if (commission.method === 'retroactive') {
    // The band reached is the first whose bound holds the measure (bounds are inclusive);
    // past every bound, the last band (normally `above`).
    const reached = p.bands.find((b) => b.bound === null || measure.lte(b.bound)) ?? p.bands[p.bands.length - 1];
    const rounded = roundMoney(measure.times(reached.rate), cur);
    const at = attainment ? ` at ${attainment.toDecimalPlaces(2).toFixed()}% attainment` : '';
    return [priced(
      'commission',
      `retroactive: ${name} ${measureShown}${at} reaches band "${reached.label}"; ` +
        `${measureShown} × ${reached.rateShown} = ${grouped(rounded.toFixed(minorUnits(cur)), cur)}`,
      rounded,
      cur,
    )];
  }

  const lines: PricedLine[] = [];
  let lower = ZERO;
  for (const band of p.bands) {
    if (measure.lte(lower)) break;
    if (band.bound !== null && measure.gte(band.bound)) {
      // The measure passes this whole band: its line is the same for everyone.
      if (band.full) lines.push(band.full);
      if (band.bound.gt(lower)) lower = band.bound;
      continue;
    }
    const portion = measure.minus(lower);
    const range = band.bound === null ? `above ${band.lowerShown}` : `${band.lowerShown} to ${band.boundShown}`;
    const portionShown = lower.isZero() ? measureShown : grouped(formatAmount(portion, cur), cur);
    lines.push(marginalLine(name, range, band.label, portionShown, band.rateShown, portion.times(band.rate), cur));
    lower = measure;
    break;
  }
  if (measure.gt(lower)) {
    warnings.push(
      `${name} past the last band bound (${grouped(formatAmount(lower, cur), cur)}) earns no commission: the rule has no "above" band`,
    );
  }
  return lines;
}

function usesAttainment(expr: Expr | null | undefined): boolean {
  if (!expr) return false;
  switch (expr.kind) {
    case 'attainment': return true;
    case 'binary': return usesAttainment(expr.left) || usesAttainment(expr.right);
    case 'not': case 'neg': return usesAttainment(expr.operand);
    case 'in': return usesAttainment(expr.operand) || expr.items.some(usesAttainment);
    default: return false;
  }
}

/** The values a condition read, for the line's explanation: "(deals_won = 12, attainment = 160%)". */
function conditionValues(when: Expr, ctx: EvalContext): string {
  const shown = [...metricsUsed(when)].map((n) => `${n} = ${showValue(ctx.metric?.(n))}`);
  if (usesAttainment(when)) shown.push(`attainment = ${ctx.attainment ? `${ctx.attainment.toDecimalPlaces(2).toFixed()}%` : 'unknown'}`);
  return shown.length ? ` (${shown.join(', ')})` : '';
}

function showValue(v: RuntimeValue | undefined): string {
  if (!v || v.type === 'null') return 'unknown';
  switch (v.type) {
    case 'money': return displayMoney(v.value.amount, v.value.currency);
    case 'percent': return `${v.value.toDecimalPlaces(2).toFixed()}%`;
    case 'number': return v.value.toFixed();
    default: return JSON.stringify(v.value);
  }
}

function listIds(ids: string[]): string {
  const shown = ids.slice(0, 5).join(', ');
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown;
}

function periodWindow(p: PreparedRule, period: string): { start: string; end: string } | null {
  let window = p.windows.get(period);
  if (window === undefined) {
    const parsed = parsePeriod(period);
    window = parsed.ok ? { start: parsed.period.start, end: parsed.period.end } : null;
    p.windows.set(period, window);
  }
  return window;
}

export function computeStatement(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement {
  const cur = rule.currency;
  const p = prepare(rule);
  const warnings: string[] = [];
  const measureIsMoney = rule.measure.type === 'money';
  const measureValue = numericValue(metricValue(facts.metrics[rule.measure.metric]));
  const attainment = measureValue !== null && !p.target.isZero() ? measureValue.div(p.target).times(HUNDRED) : null;
  const measureText = measureValue === null ? null : measureIsMoney ? formatAmount(measureValue, cur) : measureValue.toFixed();

  const ctx: EvalContext = {
    rep,
    metric: (name) => metricValue(facts.metrics[name]),
    attainment: attainment ?? undefined,
  };

  const window = periodWindow(p, period);
  if (window && (window.start !== facts.window.start || window.end !== facts.window.end)) {
    warnings.push(`only deals closed ${facts.window.start} to ${facts.window.end} count: the rule's effective dates cut ${period}`);
  }
  for (const deal of facts.leftOut) {
    warnings.push(
      `deal ${deal.id} (${deal.stage}, ${deal.amount} ${deal.currency}) is left out: it is in ${deal.currency}, ` +
        `the statement is in ${cur} (no currency conversion)`,
    );
  }
  if (measureValue === null) warnings.push(`${rule.measure.metric} is not defined for ${period}: no commission`);

  const items: PricedLine[] = [];
  if (rule.commission && measureValue !== null) {
    if (measureIsMoney) items.push(...commissionLines(rule, p, measureValue, measureText!, attainment, warnings));
    else warnings.push(`commission needs a money measure; ${rule.measure.metric} is a ${rule.measure.type}`);
  }

  rule.bonuses.forEach((bonus, i) => {
    if (!holds(bonus.when, ctx)) return;
    if (bonus.amount.currency !== cur) {
      warnings.push(`${bonus.description}: pays in ${bonus.amount.currency}, the statement is in ${cur}; not paid`);
      return;
    }
    items.push(priced(
      'bonus',
      `${bonus.description}: condition holds${conditionValues(bonus.when, ctx)}; ${p.bonuses[i].shown}`,
      p.bonuses[i].amount,
      cur,
    ));
  });

  rule.spiffs.forEach((spiff, i) => {
    const deals = facts.spiffDeals[spiff.id] ?? [];
    if (deals.length === 0) return;
    if (spiff.amount.currency !== cur) {
      warnings.push(`${spiff.description}: pays in ${spiff.amount.currency}, the statement is in ${cur}; not paid`);
      return;
    }
    const rounded = roundMoney(p.spiffs[i].each.times(deals.length), cur);
    items.push(priced(
      'spiff',
      `${spiff.description}: ${deals.length} matching won deal${deals.length === 1 ? '' : 's'} (${listIds(deals)}) × ` +
        `${p.spiffs[i].shown} = ${grouped(rounded.toFixed(minorUnits(cur)), cur)}`,
      rounded,
      cur,
    ));
  });

  // Every line is already rounded to the minor unit; the total is their exact sum.
  let total = ZERO;
  const minor = minorUnits(cur);
  const lines: StatementLine[] = [];
  for (const item of items) {
    total = total.plus(item.rounded);
    lines.push(item.line);
  }
  let capped = false;
  if (p.cap) {
    if (rule.cap!.currency !== cur) {
      warnings.push(`cap is in ${rule.cap!.currency}, the statement is in ${cur}; not applied`);
    } else if (total.gt(p.cap.amount)) {
      const cut = total.minus(p.cap.amount);
      lines.push({
        kind: 'cap',
        description: `cap ${p.cap.shown}: total ${grouped(formatAmount(total, cur), cur)} cut by ${grouped(formatAmount(cut, cur), cur)}`,
        amount: formatAmount(cut.neg(), cur),
      });
      total = p.cap.amount;
      capped = true;
    }
  }

  const rewards: string[] = [];
  for (const r of rule.rewards) if (holds(r.when, ctx)) rewards.push(r.reward);

  return {
    rule: rule.name,
    ruleId: rule.id,
    ruleVersion: rule.version,
    rep: rep.id,
    repName: rep.name,
    period,
    currency: cur,
    measureMetric: rule.measure.metric,
    measure: measureText,
    target: p.targetText,
    attainment: attainment === null ? null : attainment.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
    lines,
    capped,
    // A sum of amounts already rounded to the minor unit: nothing left to round.
    total: total.toFixed(minor),
    rewards,
    warnings,
  };
}

/** Nothing to pay and no reward: recorded, but no approval is asked (SPEC §5). */
export function needsApproval(statement: Statement): boolean {
  return new Decimal(statement.total).gt(ZERO) || statement.rewards.length > 0;
}
