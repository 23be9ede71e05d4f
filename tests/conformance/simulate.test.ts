// SPEC §4, §5 (incentive semantics) and §8 (import, simulate, payouts export, test) through the
// built CLI, with CSVs shaped like a CRM export and amounts worked out by hand.
import { describe, expect, it } from 'vitest';
import { salesflow, templates, workspace, writeAt } from './cli.js';
import { specIncentive, specMetrics } from './spec-examples.js';

interface Line { kind: string; description: string; amount: string }
interface Statement {
  rule: string; rep: string; period: string; currency: string; measure: string; target: string;
  attainment: string; lines: Line[]; capped: boolean; total: string; rewards: string[];
}

// A BOM, CRLF, a quoted name holding a comma, columns out of order, spaces around an id.
const repsCsv = '\uFEFFemail,id,name,team,role,region,manager,timezone,start_date\r\n'
  + 'a@acme.example, r1 ,"Rep, One",EMEA,AE,EMEA,m@acme.example,Europe/Berlin,2024-01-01\r\n';

// Q1 2026: 160k USD won (100k + 50k Analytics + 10k Analytics on the last day), one EUR deal, one
// deal on the first day of Q2, one open deal.
const dealsCsv = [
  'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact',
  'd1,r1,"Big ""one""",100000,USD,won,Platform,new,web,2026-01-15,c@x.example',
  'd2,r1,two,50000.00,USD,won,Analytics,new,web,2026-02-15,c@x.example',
  'd3,r1,three,10000,USD,won,Analytics,new,web,2026-03-31,c@x.example',
  'd4,r1,eur,99999,EUR,won,Analytics,new,web,2026-03-01,c@x.example',
  'd5,r1,next,5000,USD,won,Analytics,new,web,2026-04-01,c@x.example',
  'd6,r1,open,7000,USD,open,Analytics,new,web,,c@x.example',
].join('\n') + '\n';

const variants = `
incentive "retro" {
  period quarter
  measure revenue
  target 100000 USD
  commission retroactive {
    up to 100% pay 8%
    up to 150% pay 12%
    above pay 15%
  }
}
incentive "capped" {
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 8%
    up to 150% pay 12%
    above pay 15%
  }
  bonus 1000 USD when deals_won >= 3
  bonus 7 USD when deals_won >= 30
  spiff 250 USD per deal where deal.product = "Analytics"
  cap 10000 USD
  reward "Trip" when attainment >= 160%
  reward "Never" when attainment >= 161%
}
incentive "monthly" { period month measure revenue target 10000 USD commission marginal { above pay 10% } }
incentive "weekly" { period week measure revenue target 10000 USD commission marginal { above pay 10% } }
incentive "yearly" { period year measure revenue target 10000 USD commission marginal { above pay 10% } }
`;

function loaded(extraRules: Record<string, string> = {}, deals = dealsCsv): string {
  const dir = workspace({
    'reps.csv': repsCsv, 'deals.csv': deals,
    'rules/incentive.rules': specIncentive, 'rules/metrics.rules': specMetrics,
    ...templates(['incentive-approval']), ...extraRules,
  });
  expect(salesflow(dir, ['import', '--kind', 'reps', 'reps.csv']).code).toBe(0);
  expect(salesflow(dir, ['import', '--kind', 'deals', 'deals.csv']).code).toBe(0);
  return dir;
}

function simulate(dir: string, args: string[]): { statements: Statement[]; stderr: string } {
  const r = salesflow(dir, ['simulate', '--format', 'json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return { statements: JSON.parse(r.stdout) as Statement[], stderr: r.stderr };
}

const amounts = (s: Statement): [string, string][] => s.lines.map((l) => [l.kind, l.amount]);

describe('simulate: the SPEC incentive example', () => {
  it('target 100k, revenue 160k, marginal → 15,500 plus two Analytics spiffs; exact JSON shape', () => {
    const dir = loaded();
    const { statements, stderr } = simulate(dir, ['--period', '2026-Q1']);
    expect(statements).toHaveLength(1);
    const s = statements[0]!;
    expect(Object.keys(s).sort()).toEqual(
      ['attainment', 'capped', 'currency', 'lines', 'measure', 'period', 'rep', 'rewards', 'rule', 'target', 'total', 'warnings'],
    );
    expect(s).toMatchObject({ rule: 'AE commission FY26', rep: 'r1', period: '2026-Q1', currency: 'USD', capped: false });
    expect(Number(s.measure)).toBe(160000);
    expect(Number(s.target)).toBe(100000);
    expect(amounts(s)).toEqual([['commission', '8000.00'], ['commission', '6000.00'], ['commission', '1500.00'], ['spiff', '500.00']]);
    for (const l of s.lines) expect(Object.keys(l).sort()).toEqual(['amount', 'description', 'kind']);
    expect(s.total).toBe('16000.00');
    expect(s.rewards).toEqual(['Extra day off']);
    // d4 is in EUR: left out, with a warning naming it
    expect(stderr).toMatch(/d4/);
  });

  it('retroactive: the whole 160k at the highest band reached → 24,000', () => {
    const { statements } = simulate(loaded({ 'rules/variants.rules': variants }), ['--period', '2026-Q1', '--rule', 'retro']);
    expect(statements.map((s) => s.rule)).toEqual(['retro']);
    expect(amounts(statements[0]!)).toEqual([['commission', '24000.00']]);
    expect(statements[0]!.total).toBe('24000.00');
  });

  it('bonus once, spiff per matching won deal, cap with the amount cut, rewards', () => {
    const { statements } = simulate(loaded({ 'rules/variants.rules': variants }), ['--period', '2026-Q1', '--rule', 'capped']);
    const s = statements[0]!;
    // 8000 + 6000 + 1500 + bonus 1000 + spiffs 2 × 250 = 17,000, capped at 10,000
    expect(amounts(s)).toEqual([
      ['commission', '8000.00'], ['commission', '6000.00'], ['commission', '1500.00'],
      ['bonus', '1000.00'], ['spiff', '500.00'], ['cap', '-7000.00'],
    ]);
    expect(s.capped).toBe(true);
    expect(s.total).toBe('10000.00');
    expect(s.rewards).toEqual(['Trip']);
  });

  it('a band `up to 100%` includes exactly 100%', () => {
    const deals = 'id,rep,amount,currency,stage,closed_at\ne1,r1,100000,USD,won,2026-01-10\n';
    const dir = loaded({ 'rules/variants.rules': variants }, deals);
    const retro = simulate(dir, ['--period', '2026-Q1', '--rule', 'retro']).statements[0]!;
    expect(amounts(retro)).toEqual([['commission', '8000.00']]);
    const marginal = simulate(dir, ['--period', '2026-Q1', '--rule', 'capped']).statements[0]!;
    expect(marginal.total).toBe('8000.00');
  });

  it('period labels: month, ISO week, year, next quarter', () => {
    const dir = loaded({ 'rules/variants.rules': variants });
    const total = (period: string, rule: string): [string, string, string] => {
      const s = simulate(dir, ['--period', period, '--rule', rule]).statements[0]!;
      return [s.period, s.measure, s.total];
    };
    expect(total('2026-03', 'monthly')).toEqual(['2026-03', '10000.00', '1000.00']);
    // ISO 2026-W14 is Mon 30 March to Sun 5 April: d3 (31 March) and d5 (1 April)
    expect(total('2026-W14', 'weekly')).toEqual(['2026-W14', '15000.00', '1500.00']);
    expect(total('2026', 'yearly')).toEqual(['2026', '165000.00', '16500.00']);
    // Q2: d5 only: 8% of 5,000 + one spiff
    expect(total('2026-Q2', 'capped')).toEqual(['2026-Q2', '5000.00', '650.00']);
  });

  it('each line is rounded half-up to cents, and the total is the sum of rounded lines', () => {
    const deals = 'id,rep,amount,currency,stage,closed_at\nf1,r1,0.30,USD,won,2026-05-05\n';
    const dir = loaded({
      'rules/round.rules': 'incentive "round" { period quarter measure revenue target 0.10 USD commission marginal { up to 100% pay 5% up to 200% pay 5% above pay 5% } }',
    }, deals);
    const s = simulate(dir, ['--period', '2026-Q2', '--rule', 'round']).statements[0]!;
    // each band: 0.10 × 5% = 0.005 → 0.01 (half-up); total 0.03, not round(0.015) = 0.02
    expect(amounts(s)).toEqual([['commission', '0.01'], ['commission', '0.01'], ['commission', '0.01']]);
    expect(s.total).toBe('0.03');
  });

  it('a bad period label is an error', () => {
    const dir = loaded();
    for (const p of ['2026-Q5', '2026-13', '2026-W54']) expect(salesflow(dir, ['simulate', '--period', p]).code).toBe(1);
  });
});

describe('import (§8)', () => {
  it('a bad row is reported with its line number and nothing from that file is imported', () => {
    const dir = loaded();
    writeAt(dir, 'bad.csv', 'id,rep,amount,currency,stage,closed_at\ng1,r1,100,USD,won,2026-05-05\ng2,r1,abc,USD,won,2026-05-05\n');
    const r = salesflow(dir, ['import', '--kind', 'deals', 'bad.csv']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/bad\.csv:3\b/);
    // g1 (Q2, 100 USD) must not be there: Q2 still holds d5 only
    const s = simulate(dir, ['--period', '2026-Q2', '--rule', 'AE commission FY26']).statements[0];
    expect(s?.measure).toBe('5000.00');
  });

  it('re-importing a row with the same id updates it', () => {
    const dir = loaded();
    writeAt(dir, 'update.csv', 'id,rep,amount,currency,stage,closed_at\nd3,r1,20000,USD,won,2026-03-31\n');
    expect(salesflow(dir, ['import', '--kind', 'deals', 'update.csv']).code).toBe(0);
    const s = simulate(dir, ['--period', '2026-Q1']).statements[0]!;
    expect(s.measure).toBe('170000.00');
  });
});

describe('payouts export and salesflow test (§8)', () => {
  it('payouts export prints CSV with at least the SPEC columns', () => {
    const r = salesflow(loaded(), ['payouts', 'export', '--period', '2026-Q1']);
    expect(r.code).toBe(0);
    const header = r.stdout.split(/\r?\n/)[0]!.split(',');
    for (const c of ['rule', 'rep', 'period', 'currency', 'amount', 'approved_by', 'approved_at']) expect(header).toContain(c);
  });

  it('salesflow test passes a hand-worked case and fails a wrong one with exit 1', () => {
    const files = {
      'rules/incentive.rules': specIncentive,
      'rules/tests/c1/reps.csv': repsCsv,
      'rules/tests/c1/deals.csv': dealsCsv,
    };
    const good = { name: 'spec', rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1',
      expect: { lines: [{ kind: 'commission', amount: '8000' }, { kind: 'commission', amount: '6000' },
        { kind: 'commission', amount: '1500' }, { kind: 'spiff', amount: '500' }], total: '16000.00', capped: false,
      rewards: ['Extra day off'], warnings: ['d4'] } };
    const ok = workspace({ ...files, 'rules/tests/c1/case.json': JSON.stringify(good) });
    expect(salesflow(ok, ['test']).code).toBe(0);
    const wrong = workspace({ ...files, 'rules/tests/c1/case.json': JSON.stringify({ ...good, expect: { total: '16000.01' } }) });
    expect(salesflow(wrong, ['test']).code).toBe(1);
  });
});
