import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/money/index.js';
import type { StatementFacts } from '../../src/payouts/facts.js';
import { computeStatement } from '../../src/payouts/statement.js';
import type { RepRecord } from '../../src/plan/records.js';
import { specRule } from './spec-rule.js';

const rep: RepRecord = { id: 'r1', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null };

// Amounts with up to 6 decimals, as the data source stores them.
const amount = fc.bigInt({ min: 0n, max: 10_000_000_000_000n }).map((micros) => new Decimal(micros.toString()).div(1_000_000).toFixed());
const rate = fc.integer({ min: 0, max: 4000 }).map((n) => new Decimal(n).div(100).toFixed());
const bands = fc
  .uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 })
  .chain((bounds) => fc.tuple(fc.constant([...bounds].sort((a, b) => a - b)), fc.array(rate, { minLength: bounds.length + 1, maxLength: bounds.length + 1 }), fc.boolean()))
  .map(([bounds, rates, above]) => [
    ...bounds.map((b, i) => ({ upTo: String(b), rate: rates[i] })),
    ...(above ? [{ upTo: null, rate: rates[bounds.length] }] : []),
  ]);

const facts = (revenue: string, dealsWon: number, spiffs: number): StatementFacts => ({
  window: { start: '2026-01-01', end: '2026-03-31' },
  metrics: { revenue: { type: 'money', amount: revenue, currency: 'USD' }, deals_won: { type: 'number', value: String(dealsWon) } },
  spiffDeals: { 'spiff-1': Array.from({ length: spiffs }, (_, i) => `D${i}`) },
  leftOut: [],
});

describe('statement properties', () => {
  it('the total is the sum of the rounded lines, never above the cap, every amount in minor units', () => {
    fc.assert(
      fc.property(
        amount, amount, fc.option(amount, { nil: null }), bands, fc.constantFrom('marginal', 'retroactive' as const),
        fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }),
        (revenue, target, cap, bandList, method, dealsWon, spiffs) => {
          const rule = specRule({
            target: { type: 'money', value: { amount: target, currency: 'USD' } },
            commission: { method: method as 'marginal' | 'retroactive', bands: bandList },
            cap: cap === null ? null : { amount: cap, currency: 'USD' },
          });
          const s = computeStatement(rule, rep, '2026-Q1', facts(revenue, dealsWon, spiffs));
          for (const line of s.lines) expect(line.amount).toMatch(/^-?\d+\.\d{2}$/);
          const sum = s.lines.reduce((acc, l) => acc.plus(l.amount), new Decimal(0));
          expect(sum.eq(s.total)).toBe(true);
          if (cap !== null) expect(new Decimal(s.total).lte(new Decimal(cap).toDecimalPlaces(2, Decimal.ROUND_HALF_UP))).toBe(true);
          expect(s.capped).toBe(s.lines.some((l) => l.kind === 'cap'));
          expect(new Decimal(s.total).gte(0)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('with rising rates, marginal never pays more than retroactive', () => {
    fc.assert(
      fc.property(amount, amount.filter((t) => new Decimal(t).gt(0)), bands, (revenue, target, bandList) => {
        const rates = bandList.map((b) => b.rate).sort((a, b) => new Decimal(a).comparedTo(new Decimal(b)));
        const rising = bandList.map((b, i) => ({ ...b, rate: rates[i] }));
        const base = { target: { type: 'money' as const, value: { amount: target, currency: 'USD' } }, cap: null, bonuses: [], spiffs: [] };
        const marginal = computeStatement(specRule({ ...base, commission: { method: 'marginal', bands: rising } }), rep, '2026-Q1', facts(revenue, 0, 0));
        const retro = computeStatement(specRule({ ...base, commission: { method: 'retroactive', bands: rising } }), rep, '2026-Q1', facts(revenue, 0, 0));
        // Each marginal line is rounded on its own: allow a rounding cent per line.
        const slack = new Decimal('0.005').times(marginal.lines.length);
        expect(new Decimal(marginal.total).lte(new Decimal(retro.total).plus(slack))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
