// The reference statement for the property tests: every amount a decimal.js Decimal and every
// condition through the plan evaluator, written apart from the one statement path (src/payouts/
// statement-fixed.ts, BigInt) so the tests can hold that path to it digit for digit. It covers
// the rules of SPEC §5 (no crediting or proration: those facts are exercised by their own tests).
import { ledgerLimitMessage } from '../../../src/payouts/ledger-limit.js';
import { Decimal, ZERO, displayMoney, formatAmount, roundMoney } from '../../../src/money/index.js';
import { holds, metricsUsed, readsAttainment, type EvalContext, type RuntimeValue } from '../../../src/plan/evaluate.js';
import { minorUnits } from '../../../src/plan/catalog.js';
import type { RepRecord } from '../../../src/plan/records.js';
import type { Expr, IncentiveRule } from '../../../src/plan/schema.js';
import { metricValue, type StatementFacts } from '../../../src/payouts/facts.js';
import { numericValue, periodWindow, prepareRule, type PreparedRule, type PricedLine } from './prepared-rule-decimal.js';
import type { Statement, StatementLine } from '../../../src/payouts/statement.js';
import {
  bandRange, bonusText, capCurrencyWarning, capText, conditionValuesText, grouped, leftOutWarning, marginalText,
  nonMoneyMeasureWarning, otherCurrencyWarning, pastLastBandWarning, retroactiveText, spiffText, undefinedMeasureWarning,
  windowCutWarning,
} from '../../../src/payouts/statement-text.js';

const HUNDRED = new Decimal(100);

function pricedLine(line: StatementLine, rounded: Decimal): PricedLine {
  return { line, rounded };
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
  const show = (d: Decimal) => grouped(formatAmount(d, cur), cur);

  if (commission.method === 'retroactive') {
    // The band reached is the first whose bound holds the measure (bounds are inclusive);
    // past every bound, the last band (normally `above`).
    const reached = p.bands.find((b) => b.bound === null || measure.lte(b.bound)) ?? p.bands[p.bands.length - 1];
    const rounded = roundMoney(measure.times(reached.rate), cur);
    const at = attainment ? attainment.toFixed(Math.max(2, attainment.decimalPlaces())) : null;
    return [pricedLine({
      kind: 'commission',
      description: retroactiveText(name, measureShown, at, reached.label, reached.rateShown, show(rounded)),
      amount: rounded.toFixed(minorUnits(cur)),
    }, rounded)];
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
    const shown = new Decimal(measureText);
    const portionShown = lower.isZero() ? measureShown : grouped(shown.minus(lower).toFixed(Math.max(minorUnits(cur), shown.decimalPlaces())), cur);
    const rounded = roundMoney(portion.times(band.rate), cur);
    lines.push(pricedLine({
      kind: 'commission',
      description: marginalText(name, bandRange(band.lowerShown, band.bound === null ? null : band.boundShown), band.label, portionShown, band.rateShown, show(rounded)),
      amount: rounded.toFixed(minorUnits(cur)),
    }, rounded));
    lower = measure;
    break;
  }
  if (measure.gt(lower)) warnings.push(pastLastBandWarning(name, show(lower)));
  return lines;
}


/**
 * A percent for people to read: rounded down, two decimals or as many more as it takes for `agrees`
 * to hold on the figure shown, up to twelve; the exact value when it has fewer.
 */
function readable(exact: Decimal, agrees: (shown: Decimal) => boolean, least = 2): Decimal {
  const most = least + 10;
  for (let places = least; places < most; places++) {
    const shown = exact.toDecimalPlaces(places, Decimal.ROUND_FLOOR);
    if (shown.eq(exact) || agrees(shown)) return shown;
  }
  return exact.toDecimalPlaces(most, Decimal.ROUND_FLOOR);
}

/** Text of a figure with at least `least` decimals ("119999.99", "119999.995"). */
const atLeast = (d: Decimal, least: number) => d.toFixed(Math.max(least, d.decimalPlaces()));

/** The values a paid bonus's condition read, each shown so that the condition still holds on it; the measure as in the header. */
function conditionValues(when: Expr, ctx: EvalContext, shownAttainment: Decimal | null, measure: { name: string; shown: string } | null): string {
  const onShown: EvalContext = { ...ctx, attainment: shownAttainment ?? undefined };
  const shown = [...metricsUsed(when)].map((n) => `${n} = ${measure?.name === n ? measure.shown : showValue(ctx.metric?.(n), (v, least, wrap) => readable(v, (figure) => holds(when, {
    ...onShown,
    metric: (m) => (m === n ? wrap(figure) : ctx.metric?.(m)),
  }), least))}`);
  if (readsAttainment(when)) shown.push(`attainment = ${shownAttainment ? `${shownAttainment.toFixed(Math.max(2, shownAttainment.decimalPlaces()))}%` : 'unknown'}`);
  return conditionValuesText(shown);
}

function showValue(v: RuntimeValue | undefined, readableAs: (v: Decimal, least: number, wrap: (figure: Decimal) => RuntimeValue) => Decimal): string {
  if (!v || v.type === 'null') return 'unknown';
  switch (v.type) {
    case 'money': {
      const { currency } = v.value;
      const minor = minorUnits(currency);
      return grouped(atLeast(readableAs(v.value.amount, minor, (amount) => ({ type: 'money', value: { amount, currency } })), minor), currency);
    }
    case 'percent': return `${readableAs(v.value, 2, (value) => ({ type: 'percent', value })).toFixed()}%`;
    case 'number': return v.value.toFixed();
    default: return JSON.stringify(v.value);
  }
}

/** The band (index) an attainment falls in: the first whose % bound holds it; past all, the last. */
function bandOf(rule: IncentiveRule, attainment: Decimal): number {
  const bands = rule.commission!.bands;
  const i = bands.findIndex((b) => b.upTo === null || attainment.lte(b.upTo));
  return i === -1 ? bands.length - 1 : i;
}

export function computeStatementDecimal(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement {
  const cur = rule.currency;
  const p = prepareRule(rule);
  const warnings: string[] = [];
  const measureIsMoney = rule.measure.type === 'money';
  const measureValue = numericValue(metricValue(facts.metrics[rule.measure.metric]));
  const attainment = measureValue !== null && !p.target.isZero() ? measureValue.div(p.target).times(HUNDRED) : null;
  const ctx: EvalContext = {
    rep,
    metric: (name) => metricValue(facts.metrics[name]),
    attainment: attainment ?? undefined,
  };
  const conditions = [...rule.bonuses, ...rule.rewards];
  const paysCommission = rule.commission !== null && measureIsMoney && measureValue !== null && measureValue.gt(ZERO);
  // A money measure as shown: minor digits rounded down, more where a condition on it or the band reached reads otherwise.
  const bandOfAmount = (amount: Decimal) => {
    const i = p.bands.findIndex((b) => b.bound === null || amount.lte(b.bound));
    return i === -1 ? p.bands.length - 1 : i;
  };
  const measureName = rule.measure.metric;
  const measureReadsAsExact = (figure: Decimal) => {
    const value: RuntimeValue = measureIsMoney ? { type: 'money', value: { amount: figure, currency: cur } } : { type: 'percent', value: figure };
    const onShown: EvalContext = { ...ctx, metric: (m) => (m === measureName ? value : ctx.metric?.(m)) };
    return conditions.every((c) => !metricsUsed(c.when).has(measureName) || holds(c.when, onShown) === holds(c.when, ctx))
      && (!paysCommission || bandOfAmount(figure) === bandOfAmount(measureValue!));
  };
  const measureText = measureValue === null ? null
    : measureIsMoney ? atLeast(readable(measureValue, measureReadsAsExact, minorUnits(cur)), minorUnits(cur))
    : rule.measure.type === 'percent' ? readable(measureValue, measureReadsAsExact).toFixed()
    : measureValue.toFixed();

  const window = periodWindow(p, period);
  if (window && (window.start !== facts.window.start || window.end !== facts.window.end)) {
    warnings.push(windowCutWarning(facts.window.start, facts.window.end, period));
  }
  for (const deal of facts.leftOut) warnings.push(leftOutWarning(deal, cur));
  if (measureValue === null) warnings.push(undefinedMeasureWarning(rule.measure.metric, period));

  // Attainment as shown: every attainment condition and the % band reached read on it as on the exact value.
  const paysOnPercentBands = paysCommission && rule.commission!.bounds !== 'amount';
  const shownAttainment = attainment === null ? null : readable(attainment, (figure) => {
    const onShown: EvalContext = { ...ctx, attainment: figure };
    return conditions.every((c) => !readsAttainment(c.when) || holds(c.when, onShown) === holds(c.when, ctx))
      && (!paysOnPercentBands || bandOf(rule, figure) === bandOf(rule, attainment));
  });

  const items: PricedLine[] = [];
  if (rule.commission && measureValue !== null) {
    if (measureIsMoney) items.push(...commissionLines(rule, p, measureValue, measureText!, shownAttainment, warnings));
    else warnings.push(nonMoneyMeasureWarning(rule.measure.metric, rule.measure.type));
  }

  rule.bonuses.forEach((bonus, i) => {
    if (!holds(bonus.when, ctx)) return;
    if (bonus.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(bonus.description, bonus.amount.currency, cur));
      return;
    }
    const amount = p.bonuses[i].amount;
    items.push(pricedLine({
      kind: 'bonus',
      description: bonusText(bonus.description, conditionValues(bonus.when, ctx, shownAttainment, measureText === null || rule.measure.type === 'number' ? null : { name: measureName, shown: measureIsMoney ? grouped(measureText, cur) : `${measureText}%` }), p.bonuses[i].shown),
      amount: amount.toFixed(minorUnits(cur)),
    }, amount));
  });

  rule.spiffs.forEach((spiff, i) => {
    const deals = facts.spiffDeals[spiff.id] ?? [];
    if (deals.length === 0) return;
    if (spiff.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(spiff.description, spiff.amount.currency, cur));
      return;
    }
    const rounded = roundMoney(p.spiffs[i].each.times(deals.length), cur);
    items.push(pricedLine({
      kind: 'spiff',
      description: spiffText(spiff.description, deals, p.spiffs[i].shown, grouped(rounded.toFixed(minorUnits(cur)), cur)),
      amount: rounded.toFixed(minorUnits(cur)),
    }, rounded));
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
      warnings.push(capCurrencyWarning(rule.cap!.currency, cur));
    } else if (total.gt(p.cap.amount)) {
      const cut = total.minus(p.cap.amount);
      lines.push({
        kind: 'cap',
        description: capText(p.cap.shown, grouped(formatAmount(total, cur), cur), grouped(formatAmount(cut, cur), cur)),
        amount: formatAmount(cut.neg(), cur),
      });
      total = p.cap.amount;
      capped = true;
    }
  }

  const rewards: string[] = [];
  for (const r of rule.rewards) if (holds(r.when, ctx)) rewards.push(r.reward);
  // Past int64 micros, payouts cannot record it.
  if (total.abs().gt('9223372036854.775807')) warnings.push(ledgerLimitMessage(grouped(total.toFixed(minor), cur), cur));

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
    attainment: shownAttainment === null ? null : shownAttainment.toFixed(Math.max(2, shownAttainment.decimalPlaces())),
    lines,
    capped,
    // A sum of amounts already rounded to the minor unit: nothing left to round.
    total: total.toFixed(minor),
    rewards,
    warnings,
    ...(rule.measure.type === 'money' ? {} : { quantity: rule.measure.type }),
  };
}
