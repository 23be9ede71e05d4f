// The one statement path (BigInt fixed point) must give exactly the statement of the decimal.js
// reference (tests/payouts/reference/): same lines, same descriptions, same totals, warnings and
// rewards, digit for digit, wherever the reference's 60 significant digits are themselves exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/money/index.js';
import type { MetricFact, StatementFacts } from '../../src/payouts/facts.js';
import { computeStatement } from '../../src/payouts/statement.js';
import { digitCount, parseFixed } from '../../src/money/fixed.js';
import { computeStatementDecimal } from './reference/statement-decimal.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { Expr, IncentiveRule } from '../../src/plan/schema.js';
import { bin, field, metric, num, pct, specRule, str } from './spec-rule.js';

const rep: RepRecord = { id: 'r1', name: 'Ada', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: null, start_date: null };

/** A decimal string with up to `places` decimals, as data sources and rule files write them. */
const decimalText = (maxUnits: bigint, places: number, negative = false) =>
  fc.tuple(fc.bigInt({ min: negative ? -maxUnits : 0n, max: maxUnits }), fc.integer({ min: 0, max: places }))
    .map(([units, scale]) => new Decimal(units.toString()).div(new Decimal(10).pow(scale)).toFixed());

// CLF: the ISO 4217 currency with 4 minor digits, the most either path rounds money to.
const currency = fc.constantFrom('USD', 'USD', 'USD', 'JPY', 'KWD', 'CLF');
const attainment: Expr = { kind: 'attainment', type: 'percent' };
const money = (amount: string, cur: string): Expr =>
  ({ kind: 'literal', type: 'money', currency: cur, value: { type: 'money', value: { amount, currency: cur } } });
const op = fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const);

/** Conditions of the shapes rules use: metric and attainment thresholds, rep fields, and/or/not. */
const condition = (cur: string): fc.Arbitrary<Expr> => fc.letrec<{ c: Expr }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(op, decimalText(40n, 0)).map(([o, n]) => bin(o, metric('deals_won'), num(n))),
    fc.tuple(op, decimalText(30_000n, 2)).map(([o, n]) => bin(o, attainment, pct(n))),
    fc.tuple(op, decimalText(30_000n, 2)).map(([o, n]) => bin(o, pct(n), attainment)),
    fc.tuple(op, decimalText(10_000_000n, 2), fc.constantFrom(cur, 'EUR')).map(([o, n, c]) => bin(o, metric('revenue', 'money'), money(n, c))),
    fc.tuple(op, decimalText(10_000n, 2)).map(([o, n]) => bin(o, metric('win_rate', 'percent'), pct(n))),
    fc.tuple(op, decimalText(10_000n, 2)).map(([o, n]) => bin(o, metric('missing_metric'), num(n))),
    fc.constantFrom('EMEA', 'AMER').map((r) => bin('=', field('rep', 'region'), str(r))),
    fc.tuple(tie('c'), tie('c'), fc.constantFrom('and', 'or' as const)).map(([l, r, o]) => bin(o, l, r)),
    tie('c').map((operand): Expr => ({ kind: 'not', type: 'bool', operand })),
    fc.array(decimalText(20n, 0), { minLength: 1, maxLength: 3 }).map((items): Expr => ({
      kind: 'in', type: 'bool', negated: false, operand: metric('deals_won'), items: items.map(num),
    })),
  ),
})).c;

const bands = fc
  .uniqueArray(decimalText(40_000n, 2).filter((b) => new Decimal(b).gt(0)), { minLength: 1, maxLength: 4, selector: (b) => new Decimal(b).toFixed() })
  .chain((bounds) => fc.tuple(
    fc.constant([...bounds].sort((a, b) => new Decimal(a).comparedTo(new Decimal(b)))),
    fc.array(decimalText(4000n, 3), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
    fc.boolean(),
  ))
  .map(([bounds, rates, above]) => [
    ...bounds.map((b, i) => ({ upTo: b, rate: rates[i] })),
    ...(above ? [{ upTo: null, rate: rates[bounds.length] }] : []),
  ]);

const ruleArb: fc.Arbitrary<IncentiveRule> = currency.chain((cur) => fc.record({
  // Targets are positive in practice; negative and zero ones still must agree.
  target: fc.oneof({ arbitrary: decimalText(10_000_000_000n, 4), weight: 8 }, { arbitrary: decimalText(10_000_000n, 4, true), weight: 1 }),
  bands,
  method: fc.constantFrom('marginal', 'retroactive' as const),
  cap: fc.option(decimalText(10_000_000n, 3), { nil: null }),
  bonuses: fc.array(fc.tuple(condition(cur), decimalText(1_000_000n, 3), fc.constantFrom(cur, cur, 'EUR')), { maxLength: 2 }),
  spiffs: fc.array(fc.tuple(decimalText(100_000n, 3), fc.constantFrom(cur, cur, 'EUR')), { maxLength: 2 }),
  rewards: fc.array(fc.option(condition(cur), { nil: null }), { maxLength: 2 }),
  noCommission: fc.boolean(),
}).map((r) => specRule({
  currency: cur,
  target: { type: 'money', value: { amount: r.target, currency: cur } },
  commission: r.noCommission && r.bonuses.length > 0 ? null : { method: r.method, bands: r.bands },
  cap: r.cap === null ? null : { amount: r.cap, currency: cur },
  bonuses: r.bonuses.map(([when, amount, c], i) => ({ id: `bonus-${i}`, amount: { amount, currency: c }, when, description: `bonus ${i}` })),
  spiffs: r.spiffs.map(([amount, c], i) => ({ id: `spiff-${i}`, amount: { amount, currency: c }, where: null, description: `spiff ${i}` })),
  rewards: r.rewards.map((when, i) => ({ id: `reward-${i}`, reward: `reward ${i}`, when, description: `reward ${i}` })),
})));

const metricFact = (cur: string): fc.Arbitrary<MetricFact> => fc.oneof(
  decimalText(100_000_000_000_000n, 6, true).map((amount): MetricFact => ({ type: 'money', amount, currency: cur })),
  // An average: many decimals, as avg_deal_size comes out of a division.
  decimalText(10n ** 30n, 24).map((amount): MetricFact => ({ type: 'money', amount, currency: cur })),
  fc.constant<MetricFact>({ type: 'null' }),
);

const factsArb = (rule: IncentiveRule): fc.Arbitrary<StatementFacts> => fc.record({
  revenue: metricFact(rule.currency),
  dealsWon: fc.oneof(decimalText(40n, 0).map((value): MetricFact => ({ type: 'number', value })), fc.constant<MetricFact>({ type: 'null' })),
  winRate: fc.oneof(decimalText(10_000_000n, 5).map((value): MetricFact => ({ type: 'percent', value })), fc.constant<MetricFact>({ type: 'null' })),
  spiffs: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 2, maxLength: 2 }),
  leftOut: fc.array(fc.record({ id: fc.constantFrom('D7', 'D8'), amount: decimalText(100_000n, 2), currency: fc.constant('EUR'), stage: fc.constantFrom('won', 'lost') }), { maxLength: 2 }),
  cut: fc.boolean(),
}).map((f) => ({
  window: f.cut ? { start: '2026-02-01', end: '2026-03-31' } : { start: '2026-01-01', end: '2026-03-31' },
  metrics: { revenue: f.revenue, deals_won: f.dealsWon, win_rate: f.winRate },
  spiffDeals: Object.fromEntries(f.spiffs.map((n, i) => [`spiff-${i}`, Array.from({ length: n }, (_, k) => `D${k}`)])),
  leftOut: f.leftOut,
}));

/** The reference keeps 60 significant digits: exact while the measure has at most 40 (room for target and rates). */
const referenceExact = (facts: StatementFacts) => {
  const measure = facts.metrics.revenue;
  return measure.type !== 'money' || digitCount(parseFixed(measure.amount)!) <= 40;
};

describe('the statement against the decimal.js reference', () => {
  it('gives the reference statement digit for digit', () => {
    let compared = 0;
    let runs = 0;
    fc.assert(
      fc.property(ruleArb.chain((rule) => fc.tuple(fc.constant(rule), factsArb(rule))), ([rule, facts]) => {
        runs++;
        const statement = computeStatement(rule, rep, '2026-Q1', facts);
        if (!referenceExact(facts)) return;
        compared++;
        expect(statement).toEqual(computeStatementDecimal(rule, rep, '2026-Q1', facts));
      }),
      { numRuns: 3000 },
    );
    expect(compared / runs).toBeGreaterThan(0.5);
  });

  it('agrees on exact ties: half-cents, band bounds and attainment thresholds', () => {
    const rule = specRule({ cap: { amount: '8000.005', currency: 'USD' } });
    for (const revenue of ['0.0625', '0.1875', '100000', '100000.000001', '99999.999999', '120000', '119999.999999', '150000', '-5', '0', '-0']) {
      for (const dealsWon of ['9', '10', '11']) {
        const facts: StatementFacts = {
          window: { start: '2026-01-01', end: '2026-03-31' },
          metrics: { revenue: { type: 'money', amount: revenue, currency: 'USD' }, deals_won: { type: 'number', value: dealsWon } },
          spiffDeals: { 'spiff-1': ['D1'] },
          leftOut: [],
        };
        expect(computeStatement(rule, rep, '2026-Q1', facts)).toEqual(computeStatementDecimal(rule, rep, '2026-Q1', facts));
      }
    }
  });

  it('takes conditions with arithmetic through the plan evaluator, and measures of any size exactly', () => {
    const arithmetic = specRule({
      bonuses: [{
        id: 'bonus-1', amount: { amount: '1000', currency: 'USD' }, description: 'bonus',
        when: { kind: 'binary', type: 'bool', op: '>', left: { kind: 'binary', type: 'number', op: '*', left: metric('deals_won'), right: num('2') }, right: num('10') },
      }],
    });
    const facts = (revenue: string, dealsWon = '6'): StatementFacts => ({
      window: { start: '2026-01-01', end: '2026-03-31' },
      metrics: { revenue: { type: 'money', amount: revenue, currency: 'USD' }, deals_won: { type: 'number', value: dealsWon } },
      spiffDeals: {},
      leftOut: [],
    });
    expect(computeStatement(arithmetic, rep, '2026-Q1', facts('1000')).lines.map((l) => l.kind)).toEqual(['commission', 'bonus']);
    expect(computeStatement(arithmetic, rep, '2026-Q1', facts('1000', '5')).lines.map((l) => l.kind)).toEqual(['commission']);
    expect(computeStatement(arithmetic, rep, '2026-Q1', facts('1000'))).toEqual(computeStatementDecimal(arithmetic, rep, '2026-Q1', facts('1000')));
    // 10^55 USD: past what the reference keeps exactly; the BigInt path still adds up to the cent.
    const huge = computeStatement(specRule(), rep, '2026-Q1', facts(`1${'0'.repeat(55)}`));
    expect(huge.measure).toBe(`1${'0'.repeat(55)}.00`);
    const sum = huge.lines.reduce((a, l) => a + BigInt(l.amount.replace('.', '')), 0n);
    expect(BigInt(huge.total.replace('.', ''))).toBe(sum);
  });
});
