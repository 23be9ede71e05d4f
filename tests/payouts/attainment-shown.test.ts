// Attainment on a statement reads as the statement decided: 119.999% of target with a reward "when
// attainment >= 120%" not given showed "120.00%" in the table, the JSON, the emails and the
// approval page. Shown now: rounded down to two decimals, more where a condition or the band
// reached would otherwise read the other way; the decisions themselves are unchanged. A money
// measure with digits past the cent (a converted or split deal) is shown the same way.
import { describe, expect, it } from 'vitest';
import { computeStatement, type Statement } from '../../src/payouts/statement.js';
import type { StatementFacts } from '../../src/payouts/facts.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { statementBlock, statementJson } from '../../src/payouts/render.js';
import { statementSection } from '../../src/server/pages/statement.js';
import { payoutScope, payoutTemplate } from '../../src/activities/payout-emails.js';
import { renderTemplate } from '../../src/templates/index.js';
import { bin, metric, num, pct, specRule, usd } from './spec-rule.js';

const rep: RepRecord = {
  id: 'r1', name: 'Ada Lovelace', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
  manager: 'grace@acme.example', timezone: 'Europe/Berlin', start_date: null,
};

const attainment = { kind: 'attainment', type: 'percent' } as const;

function facts(revenue: string, winRate = '40'): StatementFacts {
  return {
    window: { start: '2026-01-01', end: '2026-03-31' },
    metrics: {
      revenue: { type: 'money', amount: revenue, currency: 'USD' },
      deals_won: { type: 'number', value: '3' },
      win_rate: { type: 'percent', value: winRate },
    },
    spiffDeals: {},
    leftOut: [],
  };
}

function reward(op: '>=' | '>', bound: string): IncentiveRule['rewards'][number] {
  return { id: 'reward-1', reward: 'Extra day off', when: bin(op, attainment, pct(bound)), description: `reward "Extra day off" when attainment ${op} ${bound}%` };
}

/** Every place a person reads the statement's attainment. */
function everywhere(rule: IncentiveRule, s: Statement): string[] {
  const scope = payoutScope({ rule, rep, statement: s, approval: { url: 'http://localhost/approvals/t', approver: 'grace@acme.example', due: 0 } });
  const email = renderTemplate(payoutTemplate(rule, 'approval'), scope).text;
  return [statementBlock(s), JSON.stringify(statementJson(s)), statementSection(s).toString(), email];
}

describe('attainment shown on statements', () => {
  it('119.999% next to a reward for >= 120% not given reads 119.99% in the table, JSON, page and email', () => {
    const rule = specRule({ cap: null, bonuses: [], spiffs: [], rewards: [reward('>=', '120')] });
    const s = computeStatement(rule, rep, '2026-Q1', facts('119999'));
    expect(s.rewards).toEqual([]);
    expect(s.attainment).toBe('119.99');
    for (const text of everywhere(rule, s)) {
      expect(text).toContain('119.99');
      expect(text).not.toContain('120.00');
      expect(text).not.toMatch(/\b120%/);
    }
    // Reached exactly, the reward is given and the figure says so.
    const reached = computeStatement(rule, rep, '2026-Q1', facts('120000'));
    expect(reached.rewards).toEqual(['Extra day off']);
    expect(reached.attainment).toBe('120.00');
  });

  it('an attainment past the twelfth decimal is cut there without a tail of zeros, as the decimal.js reference reads it', () => {
    // 0.0000001 USD of a 51,275,449.13 USD target is about 2e-13 %: a reward `when attainment > 0%`
    // holds, and no figure of up to twelve decimals can show it. Found by the property test.
    const rule = specRule({ cap: null, bonuses: [], spiffs: [], rewards: [reward('>', '0')], target: { type: 'money', value: { amount: '51275449.13', currency: 'USD' } } });
    const s = computeStatement(rule, rep, '2026-Q1', facts('0.0000001'));
    expect(s.rewards).toEqual(['Extra day off']);
    expect(s.attainment).toBe('0.00');
    // One that twelve decimals can show keeps them: 1e-10 % of a 100,000 USD target.
    const shown = computeStatement({ ...rule, target: { type: 'money', value: { amount: '100000', currency: 'USD' } } }, rep, '2026-Q1', facts('0.0000001'));
    expect(shown.attainment).toBe('0.0000000001');
  });

  it('a reward for > 120% given at 120.004% shows the decimals that put it past 120%', () => {
    const rule = specRule({ cap: null, bonuses: [], spiffs: [], rewards: [reward('>', '120')] });
    const s = computeStatement(rule, rep, '2026-Q1', facts('120004'));
    expect(s.rewards).toEqual(['Extra day off']);
    expect(s.attainment).toBe('120.004');
    for (const text of everywhere(rule, s)) expect(text).toMatch(/120\.004%|"attainment":"120\.004"/);
    // Without a condition at the bound, two decimals rounded down.
    const plain = computeStatement(specRule({ cap: null, bonuses: [], spiffs: [], rewards: [] }), rep, '2026-Q1', facts('66666.67'));
    expect(plain.attainment).toBe('66.66');
  });

  it('retroactive at 100.001% pays the 12% band and says 100.001%, not 100.00% (inside "up to 100%")', () => {
    const rule = specRule({ cap: null, bonuses: [], spiffs: [], rewards: [], commission: { ...specRule().commission!, method: 'retroactive' } });
    const s = computeStatement(rule, rep, '2026-Q1', facts('100001'));
    expect(s.total).toBe('12000.12');
    expect(s.attainment).toBe('100.001');
    expect(s.lines[0].description).toContain('at 100.001% attainment');
    expect(statementBlock(s)).toContain('100.001% attainment');
  });

  it('a retroactive line and a bonus explanation write attainment as the header does (6516.00%, not 6516%)', () => {
    const rule = specRule({
      cap: null, spiffs: [], rewards: [], commission: { ...specRule().commission!, method: 'retroactive' },
      bonuses: [{ id: 'bonus-1', amount: { amount: '500', currency: 'USD' }, when: bin('>=', attainment, pct('150')), description: 'bonus 500 USD when attainment >= 150%' }],
    });
    const s = computeStatement(rule, rep, '2026-Q1', facts('6516000'));
    expect(s.attainment).toBe('6516.00');
    expect(statementBlock(s)).toContain('= 6516.00% attainment');
    // Was "at 6516% attainment" and "attainment = 6516%" beside the header's 6516.00%.
    expect(s.lines.find((l) => l.kind === 'commission')?.description).toContain(' at 6516.00% attainment reaches band ');
    expect(s.lines.find((l) => l.kind === 'bonus')?.description).toBe('bonus 500 USD when attainment >= 150%: condition holds (attainment = 6516.00%); 500.00 USD');
  });

  it('a paid bonus shows the percent metric and attainment its condition read as holding', () => {
    const under = specRule({
      cap: null, spiffs: [], rewards: [],
      bonuses: [{ id: 'bonus-1', amount: { amount: '500', currency: 'USD' }, when: bin('<', metric('win_rate', 'percent'), pct('50')), description: 'bonus 500 USD when win_rate < 50%' }],
    });
    const s = computeStatement(under, rep, '2026-Q1', facts('1000', '49.996'));
    expect(s.lines.find((l) => l.kind === 'bonus')?.description).toContain('win_rate = 49.99%');

    const over = specRule({
      cap: null, spiffs: [], rewards: [],
      bonuses: [{
        id: 'bonus-1', amount: { amount: '500', currency: 'USD' },
        when: bin('and', bin('>', metric('win_rate', 'percent'), pct('50')), bin('>', attainment, pct('1'))),
        description: 'bonus 500 USD when win_rate > 50% and attainment > 1%',
      }],
    });
    const paid = computeStatement(over, rep, '2026-Q1', facts('1000.01', '50.004'));
    const bonus = paid.lines.find((l) => l.kind === 'bonus')?.description;
    expect(bonus).toContain('win_rate = 50.004%');
    expect(bonus).toContain('attainment = 1.00001%');
    expect(paid.attainment).toBe('1.00001');
    // A count condition: exact as before.
    const count = computeStatement(specRule({ cap: null, spiffs: [], rewards: [], bonuses: [{ id: 'b', amount: { amount: '1', currency: 'USD' }, when: bin('>=', metric('deals_won'), num('3')), description: 'b' }] }), rep, '2026-Q1', facts('1000'));
    expect(count.lines.find((l) => l.kind === 'bonus')?.description).toContain('deals_won = 3');
  });
});

describe('a money measure past the cent (100,000 EUR at 1.19999995 = 119,999.995 USD)', () => {
  const bonus = (id: string, amount: string, op: '<' | '>=' | '>', bound: string): IncentiveRule['bonuses'][number] =>
    ({ id, amount: { amount, currency: 'USD' }, when: bin(op, metric('revenue', 'money'), usd(bound)), description: `bonus ${amount} USD when revenue ${op} ${bound} USD` });
  const retroactive = { ...specRule().commission!, method: 'retroactive' as const, bands: [{ upTo: '120', rate: '5' }, { upTo: null, rate: '10' }] };

  it('reads 119,999.99 USD beside a bonus paid for revenue < 120000 USD, not 120,000.00 USD', () => {
    const rule = specRule({ cap: null, spiffs: [], rewards: [], commission: retroactive, bonuses: [bonus('b1', '100', '>=', '120000'), bonus('b2', '50', '<', '120000')] });
    const s = computeStatement(rule, rep, '2026-Q1', facts('119999.995'));
    expect(s.lines.map((l) => [l.kind, l.amount])).toEqual([['commission', '6000.00'], ['bonus', '50.00']]);
    expect(s.measure).toBe('119999.99');
    expect(s.lines[1].description).toContain('revenue = 119,999.99 USD');
    for (const text of everywhere(rule, s)) {
      expect(text).toMatch(/119,999\.99 USD|"measure":"119999\.99"/);
      expect(text).not.toContain('120,000.00 USD of');
      expect(text).not.toContain('revenue = 120,000.00');
    }
  });

  it('shows the digits that put it past a bound a condition or band turned on: 119,999.995 USD', () => {
    const rule = specRule({ cap: null, spiffs: [], rewards: [], commission: retroactive, bonuses: [bonus('b1', '100', '>', '119999.99')] });
    const s = computeStatement(rule, rep, '2026-Q1', facts('119999.995'));
    expect(s.lines.map((l) => l.kind)).toEqual(['commission', 'bonus']);
    expect(s.measure).toBe('119999.995');
    for (const text of everywhere(rule, s)) expect(text).toMatch(/119,999\.995 USD|"measure":"119999\.995"/);
    // Amount bands: 120,000.004 USD is past "up to 120000 USD", so it is not shown as 120,000.00.
    const amounts = { ...retroactive, bounds: 'amount' as const, bands: [{ upTo: '120000', rate: '5' }, { upTo: null, rate: '10' }] };
    const past = computeStatement(specRule({ cap: null, spiffs: [], rewards: [], bonuses: [], commission: amounts }), rep, '2026-Q1', facts('120000.004'));
    expect(past.total).toBe('12000.00');
    expect(past.measure).toBe('120000.004');
    expect(past.lines[0].description).toContain('120,000.004 USD');
  });
});

describe('a marginal band\'s part of a measure past the cent (61,000.005 USD, 50,000 USD target)', () => {
  // The measure is shown rounded down, and the part above a bound was rounded half up on its own:
  // the approval page read "revenue 61,000.00 USD" beside "revenue above 50,000.00 USD: 11,000.01 USD".
  const marginal = { ...specRule().commission!, bands: [{ upTo: '100', rate: '10' }, { upTo: null, rate: '12.5' }] };
  const rule = specRule({ cap: null, spiffs: [], rewards: [], bonuses: [], target: { type: 'money', value: { amount: '50000', currency: 'USD' } }, commission: marginal });

  it('is the shown measure less the bound, so the shown parts add up to the shown measure', () => {
    const s = computeStatement(rule, rep, '2026-Q1', facts('61000.005'));
    expect(s.measure).toBe('61000.00');
    expect(s.lines.map((l) => l.amount)).toEqual(['5000.00', '1375.00']);
    expect(s.lines[1].description).toContain('11,000.00 USD × 12.5% = 1,375.00 USD');
    for (const text of everywhere(rule, s)) expect(text).not.toContain('11,000.01');
  });

  it('keeps the digits the measure is shown with when a bound needs them (50,000.004 USD)', () => {
    const s = computeStatement(rule, rep, '2026-Q1', facts('50000.004'));
    expect(s.measure).toBe('50000.004');
    expect(s.lines[1].description).toContain('revenue above 50,000.00 USD (band "above"): 0.004 USD × 12.5% = 0.00 USD');
  });
});

describe('a percent measure (win_rate 2 of 3 = 66.666...%)', () => {
  it('reads 66.66% of target 50%, not 60 digits of a bare number', () => {
    const rule = specRule({
      cap: null, spiffs: [], rewards: [], commission: null,
      measure: { metric: 'win_rate', builtin: true, type: 'percent' },
      target: { type: 'percent', value: '50' },
      bonuses: [{ id: 'b1', amount: { amount: '10', currency: 'USD' }, when: bin('>=', metric('win_rate', 'percent'), pct('66.67')), description: 'bonus 10 USD when win_rate >= 66.67%' }],
    });
    const s = computeStatement(rule, rep, '2026-Q1', facts('0', `66.${'6'.repeat(57)}7`));
    expect(s.lines).toEqual([]);
    expect(s.measure).toBe('66.66');
    expect(s.attainment).toBe('133.33');
    expect(statementBlock(s)).toContain('win_rate 66.66% of target 50% = 133.33% attainment');
    expect(statementSection(s).toString()).toMatch(/66\.66%[\s\S]*50%/);
    for (const text of everywhere(rule, s)) expect(text).not.toContain('666666');
  });
});
