// The one statement function (SPEC §5): commission bands, bonuses, spiffs, cap and rewards of an
// incentive rule for one rep and period, from facts the data layer gathered. Pure and exact:
// `simulate`, `salesflow test` and the payout workflow's activity all call this, so they can
// never disagree. Each money line is rounded once, half-up, to the currency's minor unit; the total
// is the sum of the rounded lines (and of the cap cut).
import { z } from 'zod';
import { Decimal, ZERO, displayMoney, formatAmount, roundMoney } from '../money/index.js';
import { holds, literalValue, metricsUsed, type EvalContext, type RuntimeValue } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
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

function targetAmount(rule: IncentiveRule): Decimal {
  const v = literalValue(rule.target);
  const n = numericValue(v);
  if (n === null) throw new Error(`incentive ${rule.id}: target is not numeric (${rule.target.type})`);
  return n;
}

function quantityText(value: Decimal, isMoney: boolean, currency: string): string {
  return isMoney ? formatAmount(value, currency) : value.toFixed();
}

function percentText(value: Decimal): string {
  return `${value.toFixed()}%`;
}

function commissionLines(
  rule: IncentiveRule,
  measure: Decimal,
  target: Decimal,
  attainment: Decimal | null,
  warnings: string[],
): { description: string; amount: Decimal }[] {
  const commission = rule.commission;
  if (!commission || measure.lte(ZERO)) return [];
  const cur = rule.currency;
  const name = rule.measure.metric;
  const bands = commission.bands.map((band) => ({
    ...band,
    bound: band.upTo === null ? null : target.times(band.upTo).div(HUNDRED),
    label: band.upTo === null ? 'above' : `up to ${band.upTo}%`,
  }));
  const rateOf = (b: (typeof bands)[number]): Decimal => new Decimal(b.rate).div(HUNDRED);

  if (commission.method === 'retroactive') {
    // The band reached is the first whose bound holds the measure (bounds are inclusive);
    // past every bound, the last band (normally `above`).
    const reached = bands.find((b) => b.bound === null || measure.lte(b.bound)) ?? bands[bands.length - 1];
    const amount = measure.times(rateOf(reached));
    const at = attainment ? ` at ${attainment.toDecimalPlaces(2).toFixed()}% attainment` : '';
    return [{
      description: `retroactive: ${name} ${displayMoney(measure, cur)}${at} reaches band "${reached.label}"; ` +
        `${displayMoney(measure, cur)} × ${percentText(new Decimal(reached.rate))} = ${displayMoney(roundMoney(amount, cur), cur)}`,
      amount,
    }];
  }

  const lines: { description: string; amount: Decimal }[] = [];
  let lower = ZERO;
  for (const band of bands) {
    if (measure.lte(lower)) break;
    const upper = band.bound === null || measure.lt(band.bound) ? measure : band.bound;
    const portion = upper.minus(lower);
    if (portion.gt(ZERO)) {
      const amount = portion.times(rateOf(band));
      const range = band.bound === null
        ? `above ${displayMoney(lower, cur)}`
        : `${displayMoney(lower, cur)} to ${displayMoney(band.bound, cur)}`;
      lines.push({
        description: `marginal: ${name} ${range} (band "${band.label}"): ` +
          `${displayMoney(portion, cur)} × ${percentText(new Decimal(band.rate))} = ${displayMoney(roundMoney(amount, cur), cur)}`,
        amount,
      });
    }
    if (band.bound === null) { lower = measure; break; }
    if (band.bound.gt(lower)) lower = band.bound;
  }
  if (measure.gt(lower)) {
    warnings.push(
      `${name} past the last band bound (${displayMoney(lower, cur)}) earns no commission: the rule has no "above" band`,
    );
  }
  return lines;
}

function conditionValues(when: Parameters<typeof metricsUsed>[0], ctx: EvalContext): string {
  const names = [...metricsUsed(when)];
  const shown = names.map((n) => `${n} = ${showValue(ctx.metric?.(n))}`);
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

export function computeStatement(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement {
  const cur = rule.currency;
  const warnings: string[] = [];
  const target = targetAmount(rule);
  const measureIsMoney = rule.measure.type === 'money';
  const measureValue = numericValue(metricValue(facts.metrics[rule.measure.metric]));
  const attainment = measureValue !== null && !target.isZero() ? measureValue.div(target).times(HUNDRED) : null;

  const ctx: EvalContext = {
    rep,
    metric: (name) => metricValue(facts.metrics[name]),
    attainment: attainment ?? undefined,
  };

  const parsed = parsePeriod(period);
  if (parsed.ok && (parsed.period.start !== facts.window.start || parsed.period.end !== facts.window.end)) {
    warnings.push(`only deals closed ${facts.window.start} to ${facts.window.end} count: the rule's effective dates cut ${period}`);
  }
  for (const deal of facts.leftOut) {
    warnings.push(
      `deal ${deal.id} (${deal.stage}, ${deal.amount} ${deal.currency}) is left out: it is in ${deal.currency}, ` +
        `the statement is in ${cur} (no currency conversion)`,
    );
  }
  if (measureValue === null) warnings.push(`${rule.measure.metric} is not defined for ${period}: no commission`);

  const raw: { kind: LineKind; description: string; amount: Decimal }[] = [];
  if (rule.commission && measureValue !== null) {
    if (measureIsMoney) {
      for (const line of commissionLines(rule, measureValue, target, attainment, warnings)) raw.push({ kind: 'commission', ...line });
    } else {
      warnings.push(`commission needs a money measure; ${rule.measure.metric} is a ${rule.measure.type}`);
    }
  }

  for (const bonus of rule.bonuses) {
    if (!holds(bonus.when, ctx)) continue;
    if (bonus.amount.currency !== cur) {
      warnings.push(`${bonus.description}: pays in ${bonus.amount.currency}, the statement is in ${cur}; not paid`);
      continue;
    }
    const amount = new Decimal(bonus.amount.amount);
    raw.push({
      kind: 'bonus',
      description: `${bonus.description}: condition holds${conditionValues(bonus.when, ctx)}; ${displayMoney(amount, cur)}`,
      amount,
    });
  }

  for (const spiff of rule.spiffs) {
    const deals = facts.spiffDeals[spiff.id] ?? [];
    if (deals.length === 0) continue;
    if (spiff.amount.currency !== cur) {
      warnings.push(`${spiff.description}: pays in ${spiff.amount.currency}, the statement is in ${cur}; not paid`);
      continue;
    }
    const each = new Decimal(spiff.amount.amount);
    const amount = each.times(deals.length);
    raw.push({
      kind: 'spiff',
      description: `${spiff.description}: ${deals.length} matching won deal${deals.length === 1 ? '' : 's'} (${listIds(deals)}) × ` +
        `${displayMoney(each, cur)} = ${displayMoney(roundMoney(amount, cur), cur)}`,
      amount,
    });
  }

  const lines: StatementLine[] = raw.map((l) => ({
    kind: l.kind,
    description: l.description,
    amount: formatAmount(l.amount, cur),
  }));
  let total = raw.reduce((sum, l) => sum.plus(roundMoney(l.amount, cur)), ZERO);
  let capped = false;
  if (rule.cap) {
    const cap = roundMoney(new Decimal(rule.cap.amount), cur);
    if (rule.cap.currency !== cur) {
      warnings.push(`cap is in ${rule.cap.currency}, the statement is in ${cur}; not applied`);
    } else if (total.gt(cap)) {
      const cut = total.minus(cap);
      lines.push({
        kind: 'cap',
        description: `cap ${displayMoney(cap, cur)}: total ${displayMoney(total, cur)} cut by ${displayMoney(cut, cur)}`,
        amount: formatAmount(cut.neg(), cur),
      });
      total = cap;
      capped = true;
    }
  }

  const rewards = rule.rewards.filter((r) => holds(r.when, ctx)).map((r) => r.reward);

  return {
    rule: rule.name,
    ruleId: rule.id,
    ruleVersion: rule.version,
    rep: rep.id,
    repName: rep.name,
    period,
    currency: cur,
    measureMetric: rule.measure.metric,
    measure: measureValue === null ? null : quantityText(measureValue, measureIsMoney, cur),
    target: quantityText(target, rule.target.type === 'money', cur),
    attainment: attainment === null ? null : attainment.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
    lines,
    capped,
    total: formatAmount(total, cur),
    rewards,
    warnings,
  };
}

/** Nothing to pay and no reward: recorded, but no approval is asked (SPEC §5). */
export function needsApproval(statement: Statement): boolean {
  return new Decimal(statement.total).gt(ZERO) || statement.rewards.length > 0;
}
