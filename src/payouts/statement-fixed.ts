// The fast statement path: the same statement as statement-decimal.ts, computed on exact
// fixed-point BigInt values (src/money/fixed.ts) instead of decimal.js, with conditions compiled
// once per rule. It declines (returns null) whenever it could not promise the decimal.js result
// digit for digit: a condition it does not compile, a fact that is not plain decimal text, or
// values so large that decimal.js's 60 significant digits would round where BigInt does not.
// The property tests hold both paths equal on every statement they generate.
import {
  addFixed, cmpFixed, fixedText, mulFixed, negFixed, parseFixed, plainFixed, pow10, ratioHalfUp, roundFixed, subFixed,
  FIXED_ZERO, type Fixed,
} from '../money/fixed.js';
import { metricsUsed, readsAttainment } from '../plan/evaluate.js';
import { minorUnits } from '../plan/catalog.js';
import type { RepRecord } from '../plan/records.js';
import type { Expr, IncentiveRule } from '../plan/schema.js';
import { compileCondition, FIXED_NULL, type CompiledCondition, type FixedScope, type FixedValue, type Ratio } from './condition-fixed.js';
import type { MetricFact, StatementFacts } from './facts.js';
import { periodWindow, prepareRule, type PreparedRule } from './prepared-rule.js';
import type { Statement, StatementLine } from './statement.js';
import {
  bandRange, bonusText, capCurrencyWarning, capText, conditionValuesText, grouped, leftOutWarning, marginalText,
  nonMoneyMeasureWarning, otherCurrencyWarning, pastLastBandWarning, retroactiveText, spiffText, undefinedMeasureWarning,
  windowCutWarning,
} from './statement-text.js';

/** decimal.js keeps 60 significant digits: below this, its sums and products are exact too. */
const EXACT_LIMIT = pow10(60);
const HUNDRED: Fixed = { units: 100n, scale: 0 };

/** The lines of a statement as they are priced, with their running total. */
class PricedLines {
  readonly lines: StatementLine[] = [];
  total: Fixed;
  constructor(minor: number) { this.total = { units: 0n, scale: minor }; }
  add(line: StatementLine, rounded: Fixed): void {
    this.lines.push(line);
    this.total = addFixed(this.total, rounded);
  }
}

/** The array itself when empty, else an exact-size copy: a grown array keeps room for 17 items. */
function trimmed<T>(items: T[]): T[] {
  return items.length === 0 ? items : items.slice();
}

/** A compiled condition with what its explanation shows: the metrics it reads, and attainment if it does. */
interface Explained extends CompiledCondition { metrics: string[]; attainment: boolean }

/** What the fixed path needs per rule, beyond the prepared constants; null when it cannot run. */
interface FixedPlan {
  bonuses: Explained[];
  rewards: Explained[];
  /** Metrics the conditions read (the measure is read on its own). */
  metrics: string[];
  /** |measure units| must stay below this for the attainment quotient to match decimal.js. */
  measureLimit: bigint;
}

const plans = new WeakMap<IncentiveRule, FixedPlan | null>();


function planFor(rule: IncentiveRule, p: PreparedRule): FixedPlan | null {
  const cached = plans.get(rule);
  if (cached !== undefined) return cached;
  let plan: FixedPlan | null = null;
  const explain = (when: Expr | null): Explained | null => {
    const compiled = compileCondition(when);
    return compiled && { ...compiled, metrics: [...metricsUsed(when)], attainment: readsAttainment(when) };
  };
  const bonuses = rule.bonuses.map((b) => explain(b.when));
  const rewards = rule.rewards.map((r) => explain(r.when));
  const conditions = [...bonuses, ...rewards];
  if (conditions.every((c) => c !== null)) {
    const names = new Set<string>();
    for (const c of conditions) for (const n of c!.metrics) names.add(n);
    // The decimal path rounds measure ÷ target to 60 significant digits before comparing it or
    // rounding it for display. The exact quotient differs from any decision point (a literal with
    // `scale` decimals, a half-cent of the shown attainment) by at least 1 ÷ (target units ×
    // 10^(measure scale + scale)), which stays above half a 60-digit ulp while the measure has at
    // most 57 − target scale − scale digits; 50 leaves room.
    const scale = Math.max(3, ...conditions.map((c) => c!.attainmentScale));
    const digits = 50 - p.targetFixed.scale - scale;
    if (digits >= 1) {
      plan = { bonuses: bonuses as Explained[], rewards: rewards as Explained[], metrics: [...names], measureLimit: pow10(digits) };
    }
  }
  plans.set(rule, plan);
  return plan;
}

function factValue(fact: MetricFact | undefined): FixedValue | undefined {
  if (!fact) return FIXED_NULL;
  switch (fact.type) {
    case 'money': {
      const amount = parseFixed(fact.amount);
      return amount ? { type: 'money', amount, currency: fact.currency } : undefined;
    }
    case 'number':
    case 'percent': {
      const value = parseFixed(fact.value);
      return value ? { type: fact.type, value } : undefined;
    }
    case 'null':
      return FIXED_NULL;
  }
}

const abs = (x: bigint) => (x < 0n ? -x : x);
const exact = (f: Fixed) => abs(f.units) < EXACT_LIMIT;

/** Thrown inside one statement when a value outgrows EXACT_LIMIT; caught to fall back. */
class TooLarge extends Error {}

function checked(f: Fixed): Fixed {
  if (!exact(f)) throw new TooLarge();
  return f;
}

function showValue(v: FixedValue): string {
  switch (v.type) {
    case 'null': return 'unknown';
    case 'money': return grouped(fixedText(v.amount, minorUnits(v.currency)), v.currency);
    case 'percent': return `${plainFixed(roundFixed(v.value, 2))}%`;
    case 'number': return plainFixed(v.value);
  }
}

function commissionLines(
  rule: IncentiveRule,
  p: PreparedRule,
  measure: Fixed,
  measureText: string,
  attainment2: Fixed | null,
  warnings: string[],
  out: PricedLines,
): void {
  const commission = rule.commission;
  if (!commission || measure.units <= 0n) return;
  const cur = rule.currency;
  const minor = minorUnits(cur);
  const name = rule.measure.metric;
  const measureShown = grouped(measureText, cur);

  if (commission.method === 'retroactive') {
    const reached = p.bands.find((b) => b.boundFixed === null || cmpFixed(measure, b.boundFixed) <= 0) ?? p.bands[p.bands.length - 1];
    const rounded = roundFixed(checked(mulFixed(measure, reached.rateFixed)), minor);
    const amount = fixedText(rounded, minor);
    const at = attainment2 === null ? null : plainFixed(attainment2);
    out.add({ kind: 'commission', description: retroactiveText(name, measureShown, at, reached.label, reached.rateShown, grouped(amount, cur)), amount }, rounded);
    return;
  }

  let lower: Fixed = FIXED_ZERO;
  for (const band of p.bands) {
    if (cmpFixed(measure, lower) <= 0) break;
    if (band.boundFixed !== null && cmpFixed(measure, band.boundFixed) >= 0) {
      if (band.full) out.add(band.full.line, band.full.roundedFixed);
      if (cmpFixed(band.boundFixed, lower) > 0) lower = band.boundFixed;
      continue;
    }
    const portion = checked(subFixed(measure, lower));
    const portionShown = lower.units === 0n ? measureShown : grouped(fixedText(portion, minor), cur);
    const rounded = roundFixed(checked(mulFixed(portion, band.rateFixed)), minor);
    const amount = fixedText(rounded, minor);
    out.add({
      kind: 'commission',
      description: marginalText(name, bandRange(band.lowerShown, band.boundFixed === null ? null : band.boundShown), band.label, portionShown, band.rateShown, grouped(amount, cur)),
      amount,
    }, rounded);
    lower = measure;
    break;
  }
  if (cmpFixed(measure, lower) > 0) warnings.push(pastLastBandWarning(name, grouped(fixedText(lower, minor), cur)));
}

/** The statement on fixed-point values, or null when only the decimal.js path can promise the result. */
export function computeStatementFixed(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement | null {
  const p = prepareRule(rule);
  const plan = planFor(rule, p);
  if (plan === null) return null;
  try {
    return build(rule, p, plan, rep, period, facts);
  } catch (err) {
    if (err instanceof TooLarge) return null;
    throw err;
  }
}

function build(rule: IncentiveRule, p: PreparedRule, plan: FixedPlan, rep: RepRecord, period: string, facts: StatementFacts): Statement | null {
  const cur = rule.currency;
  const minor = minorUnits(cur);
  const measureFact = factValue(facts.metrics[rule.measure.metric]);
  if (measureFact === undefined) return null;
  const measure = measureFact.type === 'null' ? null : measureFact.type === 'money' ? measureFact.amount : measureFact.value;
  if (measure !== null && abs(measure.units) >= plan.measureLimit) return null;

  const values: Record<string, FixedValue> = {};
  for (const name of plan.metrics) {
    const v = factValue(facts.metrics[name]);
    if (v === undefined) return null;
    values[name] = v;
  }

  const measureIsMoney = rule.measure.type === 'money';
  const attainment: Ratio | null = measure !== null && p.targetFixed.units !== 0n ? { num: mulFixed(measure, HUNDRED), den: p.targetFixed } : null;
  const attainment2 = attainment === null ? null : ratioHalfUp(attainment.num, attainment.den, 2);
  const measureText = measure === null ? null : measureIsMoney ? fixedText(measure, minor) : plainFixed(measure);
  const scope: FixedScope = { rep, metric: (name) => values[name] ?? FIXED_NULL, attainment };

  const warnings: string[] = [];
  const window = periodWindow(p, period);
  if (window && (window.start !== facts.window.start || window.end !== facts.window.end)) {
    warnings.push(windowCutWarning(facts.window.start, facts.window.end, period));
  }
  for (const deal of facts.leftOut) warnings.push(leftOutWarning(deal, cur));
  if (measure === null) warnings.push(undefinedMeasureWarning(rule.measure.metric, period));

  const priced = new PricedLines(minor);
  if (rule.commission && measure !== null) {
    if (measureIsMoney) commissionLines(rule, p, measure, measureText!, attainment2, warnings, priced);
    else warnings.push(nonMoneyMeasureWarning(rule.measure.metric, rule.measure.type));
  }

  for (let i = 0; i < rule.bonuses.length; i++) {
    const bonus = rule.bonuses[i];
    const when = plan.bonuses[i];
    if (!when.test(scope)) continue;
    if (bonus.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(bonus.description, bonus.amount.currency, cur));
      continue;
    }
    const shown = when.metrics.map((n) => `${n} = ${showValue(scope.metric(n))}`);
    if (when.attainment) shown.push(`attainment = ${attainment2 ? `${plainFixed(attainment2)}%` : 'unknown'}`);
    const rounded = p.bonuses[i].amountFixed;
    priced.add({ kind: 'bonus', description: bonusText(bonus.description, conditionValuesText(shown), p.bonuses[i].shown), amount: fixedText(rounded, minor) }, rounded);
  }

  for (let i = 0; i < rule.spiffs.length; i++) {
    const spiff = rule.spiffs[i];
    const deals = facts.spiffDeals[spiff.id] ?? [];
    if (deals.length === 0) continue;
    if (spiff.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(spiff.description, spiff.amount.currency, cur));
      continue;
    }
    const rounded = roundFixed(checked(mulFixed(p.spiffs[i].eachFixed, { units: BigInt(deals.length), scale: 0 })), minor);
    const amount = fixedText(rounded, minor);
    priced.add({ kind: 'spiff', description: spiffText(spiff.description, deals, p.spiffs[i].shown, grouped(amount, cur)), amount }, rounded);
  }

  const { lines } = priced;
  let total = checked(priced.total);
  let capped = false;
  if (p.cap) {
    if (rule.cap!.currency !== cur) {
      warnings.push(capCurrencyWarning(rule.cap!.currency, cur));
    } else if (cmpFixed(total, p.cap.amountFixed) > 0) {
      const cut = subFixed(total, p.cap.amountFixed);
      lines.push({
        kind: 'cap',
        description: capText(p.cap.shown, grouped(fixedText(total, minor), cur), grouped(fixedText(cut, minor), cur)),
        amount: fixedText(negFixed(cut), minor),
      });
      total = p.cap.amountFixed;
      capped = true;
    }
  }

  const rewards: string[] = [];
  for (let i = 0; i < rule.rewards.length; i++) if (plan.rewards[i].test(scope)) rewards.push(rule.rewards[i].reward);

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
    attainment: attainment2 === null ? null : fixedText(attainment2, 2),
    lines: trimmed(lines),
    capped,
    // With one line and no cap, the total is that line's amount: the same text, kept once.
    total: lines.length === 1 && !capped ? lines[0].amount : fixedText(total, minor),
    rewards: trimmed(rewards),
    warnings: trimmed(warnings),
  };
}
