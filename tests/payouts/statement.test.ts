import { describe, expect, it } from 'vitest';
import { computeStatement, Statement } from '../../src/payouts/statement.js';
import type { StatementFacts } from '../../src/payouts/facts.js';
import type { RepRecord } from '../../src/plan/records.js';
import { statementBlock } from '../../src/payouts/render.js';
import { pastLedgerLimit } from '../../src/payouts/ledger-limit.js';
import { statementSection } from '../../src/server/pages/statement.js';
import { bin, metric, num, pct, specRule } from './spec-rule.js';

const rep: RepRecord = {
  id: 'r1', name: 'Ada Lovelace', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
  manager: 'grace@acme.example', timezone: 'Europe/Berlin', start_date: null,
};

function facts(revenue: string, dealsWon = 3, spiffDeals: string[] = [], extra: Partial<StatementFacts> = {}): StatementFacts {
  return {
    window: { start: '2026-01-01', end: '2026-03-31' },
    metrics: {
      revenue: { type: 'money', amount: revenue, currency: 'USD' },
      deals_won: { type: 'number', value: String(dealsWon) },
    },
    spiffDeals: { 'spiff-1': spiffDeals },
    leftOut: [],
    ...extra,
  };
}

const amounts = (s: Statement) => s.lines.map((l) => [l.kind, l.amount]);

describe('commission bands (SPEC §5 example: target 100k, revenue 160k)', () => {
  it('marginal pays each band its share: 8,000 + 6,000 + 1,500 = 15,500', () => {
    const s = computeStatement(specRule({ cap: null }), rep, '2026-Q1', facts('160000'));
    expect(amounts(s)).toEqual([['commission', '8000.00'], ['commission', '6000.00'], ['commission', '1500.00']]);
    expect(s.total).toBe('15500.00');
    expect(s.attainment).toBe('160.00');
    expect(s.lines[0].description).toContain('8%');
    expect(s.lines[2].description).toContain('above');
    expect(Statement.parse(s)).toEqual(s);
  });

  it('retroactive pays the whole measure at the highest band reached: 24,000', () => {
    const rule = specRule({ cap: null, commission: { ...specRule().commission!, method: 'retroactive' } });
    const s = computeStatement(rule, rep, '2026-Q1', facts('160000'));
    expect(amounts(s)).toEqual([['commission', '24000.00']]);
    expect(s.total).toBe('24000.00');
    expect(s.lines[0].description).toContain('15%');
  });

  it('a band "up to 100%" includes exactly 100%', () => {
    const retro = specRule({ cap: null, commission: { ...specRule().commission!, method: 'retroactive' } });
    expect(computeStatement(retro, rep, '2026-Q1', facts('100000')).total).toBe('8000.00');
    expect(computeStatement(retro, rep, '2026-Q1', facts('100000.01')).total).toBe('12000.00');
    const marginal = computeStatement(specRule({ cap: null }), rep, '2026-Q1', facts('100000'));
    expect(amounts(marginal)).toEqual([['commission', '8000.00']]);
  });

  it('rounds each line once, half-up, and totals the rounded lines', () => {
    // 0.0625 × 8% = 0.005 → 0.01 (half-up), not banker's 0.00.
    const s = computeStatement(specRule({ cap: null, bonuses: [] }), rep, '2026-Q1', facts('0.0625'));
    expect(amounts(s)).toEqual([['commission', '0.01']]);
    expect(s.total).toBe('0.01');
  });
});

describe('bonus, spiff, cap, rewards', () => {
  it('a spiff of a fraction of a cent shows its exact amount in the line, which is rounded once', () => {
    const rule = specRule({ cap: null, bonuses: [], spiffs: [{ ...specRule().spiffs[0], amount: { amount: '0.333', currency: 'USD' } }] });
    const s = computeStatement(rule, rep, '2026-Q1', facts('0', 3, ['D1', 'D2']));
    // 2 × 0.333 = 0.666 → 0.67; the description said "× 0.33 USD = 0.67 USD", which does not add up.
    expect(amounts(s)).toEqual([['spiff', '0.67']]);
    expect(s.lines[0].description).toContain('(D1, D2) × 0.333 USD = 0.67 USD');
  });

  it('pays the bonus once when its condition holds and a spiff per matching deal', () => {
    const s = computeStatement(specRule({ cap: null }), rep, '2026-Q1', facts('50000', 10, ['D1', 'D2', 'D3']));
    expect(amounts(s)).toEqual([['commission', '4000.00'], ['bonus', '1000.00'], ['spiff', '750.00']]);
    expect(s.lines[1].description).toContain('deals_won = 10');
    expect(s.lines[2].description).toContain('D1, D2, D3');
    expect(s.total).toBe('5750.00');
  });

  it('no bonus below the threshold', () => {
    const s = computeStatement(specRule({ cap: null }), rep, '2026-Q1', facts('50000', 9));
    expect(s.lines.map((l) => l.kind)).toEqual(['commission']);
  });

  it('the cap bounds the total and shows the amount cut', () => {
    // 300k revenue: 8,000 + 6,000 + 22,500 = 36,500, bonus 1,000 → 37,500; cap 30,000 cuts 7,500.
    const s = computeStatement(specRule(), rep, '2026-Q1', facts('300000', 12));
    expect(s.capped).toBe(true);
    expect(s.lines.at(-1)).toMatchObject({ kind: 'cap', amount: '-7500.00' });
    expect(s.lines.at(-1)!.description).toContain('7,500.00 USD');
    expect(s.total).toBe('30000.00');
  });

  it('lists non-monetary rewards when their condition holds', () => {
    expect(computeStatement(specRule(), rep, '2026-Q1', facts('120000')).rewards).toEqual(['Extra day off']);
    expect(computeStatement(specRule(), rep, '2026-Q1', facts('119999.99')).rewards).toEqual([]);
  });

  it('nothing sold: no lines, zero total', () => {
    const s = computeStatement(specRule(), rep, '2026-Q1', facts('0', 0));
    expect(s.lines).toEqual([]);
    expect(s.total).toBe('0.00');
    expect(s.attainment).toBe('0.00');
  });
});

describe('warnings', () => {
  it('names every deal left out for its currency', () => {
    const s = computeStatement(specRule(), rep, '2026-Q1', facts('1000', 1, [], {
      leftOut: [{ id: 'D9', amount: '5000', currency: 'EUR', stage: 'won' }],
    }));
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toContain('D9');
    expect(s.warnings[0]).toContain('EUR');
  });

  it('says when the effective dates cut the period', () => {
    const s = computeStatement(specRule(), rep, '2026-Q1', facts('1000', 1, [], { window: { start: '2026-02-01', end: '2026-03-31' } }));
    expect(s.warnings.join('\n')).toContain('2026-02-01');
  });

  it('without an "above" band, measure past the last bound earns nothing and says so', () => {
    const rule = specRule({ cap: null, bonuses: [], commission: { method: 'marginal', bands: [{ upTo: '100', rate: '10' }] } });
    const s = computeStatement(rule, rep, '2026-Q1', facts('150000'));
    expect(s.total).toBe('10000.00');
    expect(s.warnings.join('\n')).toContain('no "above" band');
  });
});

describe('prorate target by employment', () => {
  const prorating = specRule({ cap: null, bonuses: [], prorate: 'employment' });

  it('a hire in the period gets the fraction of days and no warning', () => {
    const s = computeStatement(prorating, { ...rep, start_date: '2026-02-15' }, '2026-Q1', facts('50000'));
    expect(s.target).toBe('50000.00');
    expect(s.proration).toMatchObject({ fraction: '45/90' });
    expect(s.warnings).toEqual([]);
  });

  it("when the rule's effective dates cut the period, employment is counted over the rule's part of it", () => {
    // Effective from 1 February: Q1's paid part is 2026-02-01..2026-03-31, 59 days.
    const cut = { window: { start: '2026-02-01', end: '2026-03-31' } };
    const hiredBefore = computeStatement(prorating, { ...rep, start_date: '2026-01-15' }, '2026-Q1', facts('50000', 3, [], cut));
    expect(hiredBefore.target).toBe('100000.00');
    expect(hiredBefore).not.toHaveProperty('proration');
    // Hired 1 March: 31 of the rule's 59 days, 100,000 × 31/59 = 52,542.372… → 52,542.37.
    const hiredInside = computeStatement(prorating, { ...rep, start_date: '2026-03-01' }, '2026-Q1', facts('50000', 3, [], cut));
    expect(hiredInside.proration).toMatchObject({ fraction: '31/59', prorated: '52542.37', over: { start: '2026-02-01', end: '2026-03-31' } });
    expect(hiredInside.attainment).toBe('95.16');
    // 59 is not Q1's day count: the line says which days it counts.
    expect(statementBlock(hiredInside)).toContain("\n  prorated   target 100,000.00 USD × 31/59 days employed of the rule's part of the period, 2026-02-01 to 2026-03-31 = 52,542.37 USD\n");
    // Not cut: no such words.
    expect(statementBlock(computeStatement(prorating, { ...rep, start_date: '2026-02-15' }, '2026-Q1', facts('50000')))).toContain('× 45/90 days employed = 50,000.00 USD');
    // Gone before the rule's part began: nothing of it employed, and the warning says which part.
    const goneBefore = computeStatement(prorating, { ...rep, start_date: '2026-01-05', end_date: '2026-01-25' }, '2026-Q1', facts('0', 0, [], cut));
    expect(goneBefore.proration).toMatchObject({ fraction: '0/59' });
    expect(goneBefore.warnings).toContain("r1 was not employed in the rule's part of 2026-Q1, 2026-02-01 to 2026-03-31 (end_date 2026-01-25): the target is prorated to 0.00 USD");
  });

  it('a count target (measure deals_won) is prorated as a count, not shown as money', () => {
    const counting = specRule({
      cap: null, bonuses: [], spiffs: [], prorate: 'employment', commission: null,
      measure: { metric: 'deals_won', builtin: true, type: 'number' }, target: { type: 'number', value: '10' },
      rewards: [{ id: 'reward-1', reward: 'Trip', when: bin('>=', { kind: 'attainment', type: 'percent' }, pct('100')), description: 'reward "Trip" when attainment >= 100%' }],
    });
    const s = computeStatement(counting, { ...rep, start_date: '2026-01-15' }, '2026-01', facts('0', 6, [], { window: { start: '2026-01-01', end: '2026-01-31' } }));
    expect(s.target).toBe('5.48');
    expect(s.rewards).toEqual(['Trip']);
    expect(statementBlock(s)).toContain('\n  prorated   target 10 × 17/31 days employed = 5.48\n');
    // The approval page says the same: a count, not money.
    const page = statementSection(s).toString();
    expect(page).toContain('<dt>Target</dt><dd>5.48 <span');
    expect(page).toContain('(target 10 × 17/31 days employed = 5.48)');
  });

  it('the approval page shows a JPY measure and target as money (no minor units, no decimal point)', () => {
    const yen = specRule({ currency: 'JPY', target: { type: 'money', value: { amount: '1000000', currency: 'JPY' } }, cap: null, bonuses: [], spiffs: [], rewards: [] });
    const s = computeStatement(yen, rep, '2026-Q1', { ...facts('0'), metrics: { revenue: { type: 'money', amount: '23057067', currency: 'JPY' } } });
    const page = statementSection(s).toString();
    expect(page).toContain('<dd>23,057,067 JPY</dd>');
    expect(page).toContain('<dt>Target</dt><dd>1,000,000 JPY</dd>');
  });

  it('pays every ISO 4217 currency in its own minor unit: whole XOF and UGX, thousandths of IQD and LYD', () => {
    // Was: currencies missing from the table were paid in hundredths ("51525.86" XOF, which has no
    // minor unit and which payroll cannot pay) or cut to hundredths (IQD, LYD have thousandths).
    const pay = (currency: string, target: string, revenue: string) => {
      const rule = specRule({ currency, target: { type: 'money', value: { amount: target, currency } }, cap: null, bonuses: [], spiffs: [], rewards: [] });
      return computeStatement(rule, rep, '2026-Q1', { ...facts('0'), metrics: { revenue: { type: 'money', amount: revenue, currency } } });
    };
    // SPEC bands 8% / 12% / 15%, marginal: 8% of 100,000 + 12% of 34,567.89 = 8,000 + 4,148.1468.
    for (const currency of ['XOF', 'XAF', 'UGX', 'PYG']) {
      const s = pay(currency, '100000', '134567');
      expect(s.total).toBe('12148');
      expect(statementBlock(s)).toContain('total      12,148 ' + currency);
    }
    for (const currency of ['IQD', 'LYD']) {
      const s = pay(currency, '100000', '134567.89');
      expect(amounts(s)).toEqual([['commission', '8000.000'], ['commission', '4148.147']]);
      expect(s.total).toBe('12148.147');
    }
    expect(pay('CLF', '100000', '134567.89').total).toBe('12148.1468');
  });

  it('a rep employed none of the period: target 0, and the statement says why and what it does to the bands', () => {
    const hired = computeStatement(prorating, { ...rep, start_date: '2026-04-01' }, '2026-Q1', facts('1000'));
    expect(hired.target).toBe('0.00');
    expect(hired.proration).toMatchObject({ fraction: '0/90' });
    expect(hired.warnings).toEqual(['r1 was not employed in 2026-Q1 (start_date 2026-04-01): the target is prorated to 0.00 USD; all of the measure credited to this rep falls past the last band bound']);
    const gone = computeStatement(prorating, { ...rep, start_date: '2020-01-01', end_date: '2025-12-31' }, '2026-Q1', facts('0', 0));
    expect(gone.total).toBe('0.00');
    expect(gone.warnings).toEqual(['r1 was not employed in 2026-Q1 (end_date 2025-12-31): the target is prorated to 0.00 USD']);
  });
});

describe('a total past what payouts can record', () => {
  it('is told at the exact limit, whatever the number of digits before it', () => {
    expect(pastLedgerLimit('999999999999.99')).toBe(false);
    expect(pastLedgerLimit('9223372036854.77')).toBe(false);
    expect(pastLedgerLimit('9223372036854.775807')).toBe(false);
    expect(pastLedgerLimit('9223372036854.78')).toBe(true);
    expect(pastLedgerLimit('-9223372036854.78')).toBe(true);
    expect(pastLedgerLimit('9223372036855')).toBe(true);
    expect(pastLedgerLimit('-999999999999.99')).toBe(false);
  });

  it('is computed exactly and warned about: payouts run would refuse it (int64 micros: at most 9,223,372,036,854.77 USD)', () => {
    // 90 trillion USD of revenue: 8% × 100,000 + 12% × 50,000 + 15% × 89,999,999,850,000 = 13,499,999,991,500.00.
    const s = computeStatement(specRule({ cap: null, bonuses: [] }), rep, '2026-Q1', facts('90000000000000', 0));
    expect(s.total).toBe('13499999991500.00');
    expect(s.warnings).toEqual([
      "the total 13,499,999,991,500.00 USD is more than payouts can record (at most 9,223,372,036,854.77 USD): `payouts run` refuses this statement; check the rule's amounts and rates and the deals' amounts",
    ]);
    // Just inside the limit: no warning.
    const bonus = { id: 'bonus-1', amount: { amount: '9223372036854.77', currency: 'USD' }, when: bin('>=', metric('deals_won'), num('0')), description: 'bonus 9_223_372_036_854.77 USD when deals_won >= 0' };
    const inside = computeStatement(specRule({ cap: null, commission: null, bonuses: [bonus] }), rep, '2026-Q1', facts('0', 0));
    expect(inside.total).toBe('9223372036854.77');
    expect(inside.warnings).toEqual([]);
  });
});

describe('credited deals on the statement', () => {
  it('a revenue or overlay share names its percent, 100% too; an own or team deal counts whole', () => {
    const credited = [
      { deal: 'D1', type: 'overlay', share: '100', closedAt: '2026-02-01', amount: '80000', currency: 'USD', credited: '80000' },
      { deal: 'D2', type: 'revenue', share: '100', closedAt: '2026-02-02', amount: '1000', currency: 'USD', credited: '1000' },
      { deal: 'D3', type: 'team', share: '100', closedAt: '2026-02-03', amount: '500', currency: 'USD', credited: '500' },
    ] as const;
    const s = computeStatement(specRule({ credit: 'all' }), rep, '2026-Q1', facts('81000', 2, [], { credited: [...credited] }));
    const block = statementBlock(s);
    expect(block).toContain('  credited   D1 (2026-02-01): 100% overlay share of 80,000.00 USD = 80,000.00 USD\n');
    expect(block).toContain('  credited   D2 (2026-02-02): 100% revenue share of 1,000.00 USD = 1,000.00 USD\n');
    expect(block).toContain('  credited   D3 (2026-02-03): team deal of 500.00 USD = 500.00 USD\n');
  });

  it('a deal amount past the cent keeps its digits beside the exact credited amount: 100.000001 EUR × 1.5 = 150.0000015 USD', () => {
    const credited = [{ deal: 'E1', type: 'own', share: '100', closedAt: '2026-02-01', amount: '100.000001', currency: 'EUR', conversion: { rate: '1.5', from: '2026-01-01' }, credited: '150.0000015' }] as const;
    const s = computeStatement(specRule({ convert: 'closing_rate' }), rep, '2026-Q1', facts('150.0000015', 1, [], { credited: [...credited] }));
    expect(statementBlock(s)).toContain('  credited   E1 (2026-02-01): own deal of 100.000001 EUR at 1.5 EUR→USD (rate from 2026-01-01) = 150.0000015 USD\n');
    expect(statementSection(s).toString()).toContain('own deal of 100.000001 EUR at 1.5');
  });
});
