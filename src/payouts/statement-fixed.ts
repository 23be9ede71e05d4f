// The one statement path (SPEC §5 and "incentive, in depth"): commission bands, bonuses, spiffs,
// cap and rewards on exact fixed-point BigInt values (src/money/fixed.ts), with conditions
// compiled once per rule. Credited deals, conversions and proration come in as facts and rep
// dates and go out on the statement. The decimal.js reference the property tests hold this to
// lives in tests/payouts/reference/.
import {
  addFixed, cmpFixed, compareRatio, fixedText, mulFixed, negFixed, parseFixed, plainFixed, roundFixed, subFixed,
  FIXED_ZERO, type Fixed,
} from '../money/fixed.js';
import { Decimal } from '../money/index.js';
import { holds, metricsUsed, readsAttainment, type EvalContext, type RuntimeValue } from '../plan/evaluate.js';
import { minorUnits } from '../plan/catalog.js';
import type { RepRecord } from '../plan/records.js';
import type { Expr, IncentiveRule } from '../plan/schema.js';
import { compileCondition, FIXED_NULL, type FixedScope, type FixedValue, type Ratio } from './condition-fixed.js';
import { exactValueOf, metricValue, type MetricFact, type StatementFacts } from './facts.js';
import { periodWindow, prepareRule, resolveBands, type PreparedBand, type PreparedRule } from './prepared-rule.js';
import { ledgerLimitMessage, pastLedgerLimit } from './ledger-limit.js';
import { employmentFraction, prorated } from './proration.js';
import { FIXED_ONE, shownAmount, shownRatio } from './shown-figures.js';
import type { Statement, StatementLine } from './statement.js';
import {
  bandRange, bonusText, capCurrencyWarning, capText, conditionValuesText, grouped, leftOutWarning, marginalText,
  notEmployedWarning, outsideEmploymentWarning, noRateWarning, nonMoneyMeasureWarning, otherCurrencyWarning, pastLastBandWarning, retroactiveText, spiffText, undefinedMeasureWarning,
  windowCutWarning,
} from './statement-text.js';

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

/**
 * A condition with what its explanation shows: the metrics it reads, and attainment if it does.
 * Conditions the compiler does not take (arithmetic on metrics) go through the plan evaluator.
 */
interface Explained { test: (scope: FixedScope, ctx: () => EvalContext) => boolean; metrics: string[]; attainment: boolean }

interface ConditionPlan { bonuses: Explained[]; rewards: Explained[]; metrics: string[] }

const plans = new WeakMap<IncentiveRule, ConditionPlan>();

function planFor(rule: IncentiveRule): ConditionPlan {
  const cached = plans.get(rule);
  if (cached) return cached;
  const explain = (when: Expr | null): Explained => {
    const compiled = compileCondition(when);
    const test: Explained['test'] = compiled ? (scope) => compiled.test(scope) : (_scope, ctx) => holds(when, ctx());
    return { test, metrics: [...metricsUsed(when)], attainment: readsAttainment(when) };
  };
  const bonuses = rule.bonuses.map((b) => explain(b.when));
  const rewards = rule.rewards.map((r) => explain(r.when));
  const names = new Set<string>();
  for (const c of [...bonuses, ...rewards]) for (const n of c.metrics) names.add(n);
  const plan = { bonuses, rewards, metrics: [...names] };
  plans.set(rule, plan);
  return plan;
}

function factValue(fact: MetricFact | undefined): FixedValue {
  if (!fact) return FIXED_NULL;
  switch (fact.type) {
    case 'money': return { type: 'money', amount: exactValueOf(fact) ?? parseFixed(fact.amount)!, currency: fact.currency };
    case 'number':
    case 'percent': return { type: fact.type, value: exactValueOf(fact) ?? parseFixed(fact.value)! };
    case 'null': return FIXED_NULL;
  }
}

/**
 * A metric a paid bonus's condition read, for its explanation: a percent or an amount as
 * shown-figures.ts shows it, so the condition still holds on the figure shown (`holdsWith`
 * evaluates the condition with the metric replaced by a shown figure).
 */
function showValue(v: FixedValue, holdsWith: (shown: FixedValue) => boolean): string {
  switch (v.type) {
    case 'null': return 'unknown';
    case 'money': {
      const { currency } = v;
      const shown = shownAmount(v.amount, minorUnits(currency), (amount) => holdsWith({ type: 'money', amount, currency }));
      return grouped(fixedText(shown, shown.scale), currency);
    }
    case 'percent': return `${plainFixed(shownRatio(v.value, FIXED_ONE, (value) => holdsWith({ type: 'percent', value })))}%`;
    case 'number': return plainFixed(v.value);
  }
}

/** The plan evaluator's form of a fixed-point value. */
function runtimeValue(v: FixedValue): RuntimeValue {
  switch (v.type) {
    case 'null': return { type: 'null' };
    case 'money': return { type: 'money', value: { amount: new Decimal(plainFixed(v.amount)), currency: v.currency } };
    default: return { type: v.type, value: new Decimal(plainFixed(v.value)) };
  }
}

/** `scope` and `ctx` with metric `name` replaced by `value` (a figure as shown). */
function withMetric(scope: FixedScope, ctx: () => EvalContext, name: string, value: FixedValue): [FixedScope, () => EvalContext] {
  return [
    { ...scope, metric: (m) => (m === name ? value : scope.metric(m)) },
    () => { const c = ctx(); return { ...c, metric: (m) => (m === name ? runtimeValue(value) : c.metric?.(m)) }; },
  ];
}

/**
 * Attainment as the statement's header shows it, two decimals kept ("160.00", "100.001"): the
 * lines and bonus explanations write the same figure the same way.
 */
function attainmentText(shown: Fixed): string {
  return fixedText(shown, Math.max(2, shown.scale));
}

/** Index of the band a figure falls in, by its order against each bound (inclusive; past every bound, the last band). */
function bandIndexOf(bounds: (Fixed | null)[], order: (bound: Fixed) => number): number {
  const i = bounds.findIndex((b) => b === null || order(b) <= 0);
  return i === -1 ? bounds.length - 1 : i;
}

function commissionLines(
  rule: IncentiveRule,
  bands: PreparedBand[],
  measure: Fixed,
  measureText: string,
  measureShownFixed: Fixed,
  attainmentShown: Fixed | null,
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
    // The band reached is the first whose bound holds the measure (bounds are inclusive);
    // past every bound, the last band (normally `above`).
    const reached = bands.find((b) => b.boundFixed === null || cmpFixed(measure, b.boundFixed) <= 0) ?? bands[bands.length - 1];
    const rounded = roundFixed(mulFixed(measure, reached.rateFixed), minor);
    const amount = fixedText(rounded, minor);
    const at = attainmentShown === null ? null : attainmentText(attainmentShown);
    out.add({ kind: 'commission', description: retroactiveText(name, measureShown, at, reached.label, reached.rateShown, grouped(amount, cur)), amount }, rounded);
    return;
  }

  let lower: Fixed = FIXED_ZERO;
  for (const band of bands) {
    if (cmpFixed(measure, lower) <= 0) break;
    if (band.boundFixed !== null && cmpFixed(measure, band.boundFixed) >= 0) {
      // The measure passes this whole band: its line is the same for everyone.
      if (band.full) out.add(band.full.line, band.full.roundedFixed);
      if (cmpFixed(band.boundFixed, lower) > 0) lower = band.boundFixed;
      continue;
    }
    const portion = subFixed(measure, lower);
    // The part in this band as the shown measure has it (the measure is shown rounded down): the
    // part rounded on its own (half up) read 61,000.00 as 50,000.00 plus 11,000.01.
    const shown = measureShownFixed;
    const portionShown = lower.units === 0n ? measureShown : grouped(fixedText(subFixed(shown, lower), Math.max(minor, shown.scale)), cur);
    const rounded = roundFixed(mulFixed(portion, band.rateFixed), minor);
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

/** Target and bands for this rep: the rule's own, or prorated by employment. */
function targetFor(rule: IncentiveRule, p: PreparedRule, rep: RepRecord, period: { start: string; end: string } | null, cut: boolean) {
  const fraction = rule.prorate && period ? employmentFraction(rep, period) : null;
  if (!fraction) return { target: p.targetFixed, targetText: p.targetText, bands: p.bands, proration: undefined };
  const minor = rule.target.type === 'money' ? minorUnits(rule.currency) : Math.max(2, p.targetFixed.scale);
  const target = prorated(p.targetFixed, fraction, minor);
  const bands = resolveBands(rule, target, (written) => prorated(written, fraction, minorUnits(rule.currency)));
  const targetText = rule.target.type === 'money' ? fixedText(target, minor) : plainFixed(target);
  const proration: NonNullable<Statement['proration']> = {
    fraction: `${fraction.days}/${fraction.of}`,
    target: p.targetText,
    prorated: targetText,
    ...(p.amountBounds ? { bounds: bands.filter((b) => b.boundFixed !== null).map((b) => fixedText(b.boundFixed!, minorUnits(rule.currency))) } : {}),
    ...(cut && period ? { over: { start: period.start, end: period.end } } : {}),
  };
  return { target, targetText, bands, proration };
}

/** The statement of one rep and period, exactly. */
export function computeStatementFixed(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement {
  const p = prepareRule(rule);
  const plan = planFor(rule);
  const cur = rule.currency;
  const minor = minorUnits(cur);
  const window = periodWindow(p, period);
  // Employment is measured against the dates the rule pays for: when its effective dates cut the
  // period, a rep employed all of the rule's part is not prorated, and one hired inside it is
  // prorated over that part (days employed in it ÷ its days), not over the whole period.
  const paid = window ? facts.window : null;
  const cut = !!paid && !!window && (paid.start !== window.start || paid.end !== window.end);
  const { target, targetText, bands, proration } = targetFor(rule, p, rep, paid, cut);

  const measureFact = factValue(facts.metrics[rule.measure.metric]);
  const measure = measureFact.type === 'null' ? null : measureFact.type === 'money' ? measureFact.amount : measureFact.value;
  const values: Record<string, FixedValue> = {};
  for (const name of plan.metrics) values[name] = factValue(facts.metrics[name]);

  const measureIsMoney = rule.measure.type === 'money';
  const attainment: Ratio | null = measure !== null && target.units !== 0n ? { num: mulFixed(measure, HUNDRED), den: target } : null;
  const scope: FixedScope = { rep, metric: (name) => values[name] ?? FIXED_NULL, attainment };
  // Only for conditions the compiler does not take: the plan evaluator's view of the same facts.
  let evalContext: EvalContext | null = null;
  const ctx = (): EvalContext => (evalContext ??= {
    rep,
    metric: (name) => metricValue(facts.metrics[name]),
    attainment: attainment ? new Decimal(plainFixed(attainment.num)).div(plainFixed(attainment.den)) : undefined,
  });
  const bonusHeld = plan.bonuses.map((when) => when.test(scope, ctx));
  const rewardHeld = plan.rewards.map((when) => when.test(scope, ctx));
  const paysCommission = rule.commission !== null && measureIsMoney && measure !== null && measure.units > 0n;
  const attainmentShown = attainment === null
    ? null
    : shownAttainment(rule, plan, attainment, bonusHeld, rewardHeld, scope, ctx, paysCommission);
  // A money measure as shown, as a value too: the commission's band portions are written from it.
  const measureShown = measure === null || rule.measure.type === 'number'
    ? null
    : shownMeasure(rule, plan, measure, bonusHeld, rewardHeld, scope, ctx, paysCommission ? bands : []);
  const measureText = measureShown === null ? measure && plainFixed(measure) : measureShown.text;

  const warnings: string[] = [];
  if (window && (window.start !== facts.window.start || window.end !== facts.window.end)) {
    warnings.push(windowCutWarning(facts.window.start, facts.window.end, period));
  }
  for (const deal of facts.leftOut) warnings.push(deal.noRateOn ? noRateWarning(deal, cur, deal.noRateOn) : leftOutWarning(deal, cur));
  for (const note of facts.notes ?? []) warnings.push(note);
  if (measure === null) warnings.push(undefinedMeasureWarning(rule.measure.metric, period));
  if (proration && !proration.fraction.startsWith('0/')) {
    // Deals credited to a rep hired or gone inside the period that closed outside its employment:
    // a manager's team deals under `credit team`; else its own whole deals (found by the data
    // layer) and its split, overlay or converted ones, in date order. Each deal once.
    const team = rule.credit === 'team' || rule.credit === 'team_all_levels';
    const closed = new Map<string, string>();
    if (!team) for (const d of facts.ownOutsideEmployment ?? []) closed.set(d.deal, d.closedAt);
    for (const d of facts.credited ?? []) if (!team || d.type === 'team') closed.set(d.deal, d.closedAt);
    const deals = team ? [...closed] : [...closed].sort(([a, at], [b, bt]) => (at < bt ? -1 : at > bt ? 1 : a < b ? -1 : a > b ? 1 : 0));
    const outside = (date: string | null | undefined, side: (closedAt: string) => boolean) => {
      const ids = date ? deals.filter(([, closedAt]) => side(closedAt)).map(([deal]) => deal) : [];
      return ids.length > 0 ? { date: date!, deals: ids } : null;
    };
    const before = outside(rep.start_date, (closedAt) => closedAt < rep.start_date!);
    const after = outside(rep.end_date, (closedAt) => closedAt > rep.end_date!);
    if (before || after) warnings.push(outsideEmploymentWarning(rep.id, before, after, proration.fraction, team));
  }
  if (proration && proration.fraction.startsWith('0/')) {
    // The date that keeps the rep out of the period; both when they contradict each other.
    const after = rep.start_date && paid && rep.start_date > paid.end ? `start_date ${rep.start_date}` : '';
    const before = rep.end_date && paid && rep.end_date < paid.start ? `end_date ${rep.end_date}` : '';
    const dates = after || before || `start_date ${rep.start_date ?? '-'}, end_date ${rep.end_date ?? '-'}`;
    const shownTarget = rule.target.type === 'money' ? grouped(targetText, cur) : targetText;
    const part = cut ? `the rule's part of ${period}, ${paid.start} to ${paid.end}` : period;
    warnings.push(notEmployedWarning(rep.id, part, dates, shownTarget, measure !== null && measure.units > 0n));
  }

  const priced = new PricedLines(minor);
  if (rule.commission && measure !== null) {
    if (measureIsMoney) commissionLines(rule, bands, measure, measureText!, measureShown!.value, attainmentShown, warnings, priced);
    else warnings.push(nonMoneyMeasureWarning(rule.measure.metric, rule.measure.type));
  }

  for (let i = 0; i < rule.bonuses.length; i++) {
    const bonus = rule.bonuses[i];
    const when = plan.bonuses[i];
    if (!bonusHeld[i]) continue;
    if (bonus.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(bonus.description, bonus.amount.currency, cur));
      continue;
    }
    const shownScope: FixedScope = attainmentShown === null ? scope : { ...scope, attainment: { num: attainmentShown, den: FIXED_ONE } };
    const shownCtx = (): EvalContext => ({ ...ctx(), ...(attainmentShown === null ? {} : { attainment: new Decimal(plainFixed(attainmentShown)) }) });
    // The measure reads as in the statement's header; any other metric so that this condition holds on it.
    const shownMeasureText = measureText === null ? null : measureIsMoney ? grouped(measureText, cur) : rule.measure.type === 'percent' ? `${measureText}%` : null;
    const shown = when.metrics.map((n) => `${n} = ${n === rule.measure.metric && shownMeasureText !== null
      ? shownMeasureText
      : showValue(scope.metric(n), (value) => when.test(...withMetric(shownScope, shownCtx, n, value)))}`);
    if (when.attainment) shown.push(`attainment = ${attainmentShown ? `${attainmentText(attainmentShown)}%` : 'unknown'}`);
    const rounded = p.bonuses[i].amountFixed;
    priced.add({ kind: 'bonus', description: bonusText(bonus.description, conditionValuesText(shown), p.bonuses[i].shown), amount: fixedText(rounded, minor) }, rounded);
  }

  // A spiff on a split deal pays the spiff × the rep's share of it (all of the rep's shares).
  let shares: Map<string, Fixed> | null = null;
  const sharesOf = (): Map<string, Fixed> => {
    if (shares) return shares;
    shares = new Map<string, Fixed>();
    for (const c of facts.credited ?? []) shares.set(c.deal, addFixed(shares.get(c.deal) ?? FIXED_ZERO, parseFixed(c.share)!));
    return shares;
  };
  for (let i = 0; i < rule.spiffs.length; i++) {
    const spiff = rule.spiffs[i];
    const deals = facts.spiffDeals[spiff.id] ?? [];
    if (deals.length === 0) continue;
    if (spiff.amount.currency !== cur) {
      warnings.push(otherCurrencyWarning(spiff.description, spiff.amount.currency, cur));
      continue;
    }
    let count: Fixed = FIXED_ZERO;
    const split: string[] = [];
    // Shares only matter when some deal is credited by one: most statements list none.
    const credited = facts.credited?.length ? sharesOf() : null;
    for (const id of deals) {
      const share = credited?.get(id);
      if (share === undefined || cmpFixed(share, HUNDRED) === 0) { count = addFixed(count, { units: 1n, scale: 0 }); continue; }
      count = addFixed(count, { units: share.units, scale: share.scale + 2 });
      split.push(`${id} at ${plainFixed(share)}%`);
    }
    const rounded = roundFixed(mulFixed(p.spiffs[i].eachFixed, count), minor);
    const amount = fixedText(rounded, minor);
    priced.add({ kind: 'spiff', description: spiffText(spiff.description, deals, p.spiffs[i].shown, grouped(amount, cur), split), amount }, rounded);
  }

  const { lines } = priced;
  let total = priced.total;
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
  for (let i = 0; i < rule.rewards.length; i++) if (rewardHeld[i]) rewards.push(rule.rewards[i].reward);
  // With one line and no cap, the total is that line's amount: the same text, kept once.
  const totalText = lines.length === 1 && !capped ? lines[0].amount : fixedText(total, minor);
  if (pastLedgerLimit(totalText)) warnings.push(ledgerLimitMessage(grouped(totalText, cur), cur));

  const statement: Statement = {
    rule: rule.name,
    ruleId: rule.id,
    ruleVersion: rule.version,
    rep: rep.id,
    repName: rep.name,
    period,
    currency: cur,
    measureMetric: rule.measure.metric,
    measure: measureText,
    target: targetText,
    attainment: attainmentShown === null ? null : attainmentText(attainmentShown),
    lines: trimmed(lines),
    capped,
    total: totalText,
    rewards: trimmed(rewards),
    warnings: trimmed(warnings),
  };
  // Set one by one, in this order (the JSON's): spreading `...(x ? { x } : {})` built a throwaway object per field.
  if (facts.credited) statement.credited = facts.credited;
  if (proration) statement.proration = proration;
  if (rule.measure.type !== 'money') statement.quantity = rule.measure.type;
  return statement;
}

/**
 * Attainment as the statement shows it (shown-figures.ts): the shown figure must give every bonus
 * and reward condition that reads attainment the result the exact one gave, and, when commission
 * is paid on % of target bounds, fall in the band the exact one reached.
 */
function shownAttainment(
  rule: IncentiveRule,
  plan: ConditionPlan,
  exact: Ratio,
  bonusHeld: boolean[],
  rewardHeld: boolean[],
  scope: FixedScope,
  ctx: () => EvalContext,
  paysCommission: boolean,
): Fixed {
  const bands = paysCommission ? prepareRule(rule).percentBounds : [];
  const bandReached = bands.length ? bandIndexOf(bands, (bound) => compareRatio(exact.num, exact.den, bound)) : -1;
  // One scope for every figure tried, its attainment set to the figure: shownRatio may try several.
  const shownScope: FixedScope = { rep: scope.rep, metric: scope.metric, attainment: null };
  let shownNow: Fixed = FIXED_ZERO;
  const shownCtx = (): EvalContext => ({ ...ctx(), attainment: new Decimal(plainFixed(shownNow)) });
  const agrees = (conditions: Explained[], held: boolean[]) => {
    for (let i = 0; i < conditions.length; i++) if (conditions[i].attainment && conditions[i].test(shownScope, shownCtx) !== held[i]) return false;
    return true;
  };
  return shownRatio(exact.num, exact.den, (shown) => {
    shownNow = shown;
    shownScope.attainment = { num: shown, den: FIXED_ONE };
    return agrees(plan.bonuses, bonusHeld) && agrees(plan.rewards, rewardHeld)
      && (bandReached === -1 || bandIndexOf(bands, (bound) => cmpFixed(shown, bound)) === bandReached);
  });
}

/**
 * A money or percent measure as the statement shows it (shown-figures.ts): to the minor unit (a
 * percent: two decimals) rounded down, with more digits where a bonus or reward condition on the
 * measure, or the band the commission reached, would read the other way on the shorter figure. A
 * percent measure is written without trailing zeros ("66.66", "50"), as goal emails write it.
 */
function shownMeasure(
  rule: IncentiveRule,
  plan: ConditionPlan,
  exact: Fixed,
  bonusHeld: boolean[],
  rewardHeld: boolean[],
  scope: FixedScope,
  ctx: () => EvalContext,
  bands: PreparedBand[],
): { text: string; value: Fixed } {
  const name = rule.measure.metric;
  const money = rule.measure.type === 'money';
  const bounds = bands.map((b) => b.boundFixed);
  const bandReached = bounds.length ? bandIndexOf(bounds, (bound) => cmpFixed(exact, bound)) : -1;
  const readsAsExact = (amount: Fixed) => {
    const value: FixedValue = money ? { type: 'money', amount, currency: rule.currency } : { type: 'percent', value: amount };
    const [shownScope, shownCtx] = withMetric(scope, ctx, name, value);
    const agrees = (conditions: Explained[], held: boolean[]) =>
      conditions.every((c, i) => !c.metrics.includes(name) || c.test(shownScope, shownCtx) === held[i]);
    return agrees(plan.bonuses, bonusHeld) && agrees(plan.rewards, rewardHeld)
      && (bandReached === -1 || bandIndexOf(bounds, (bound) => cmpFixed(amount, bound)) === bandReached);
  };
  if (!money) {
    const value = shownRatio(exact, FIXED_ONE, readsAsExact);
    return { text: plainFixed(value), value };
  }
  const value = shownAmount(exact, minorUnits(rule.currency), readsAsExact);
  return { text: fixedText(value, value.scale), value };
}
