// `salesflow simulate` on plans with splits, conversion and proration (the shipped "Enterprise AEs
// FY26" and "Sales managers FY26" rules over the rules/tests/enterprise fixture, imported by the
// CLI): the statements name each credited deal with its share, each conversion with amount, rate
// and date, the prorated target with its fraction; JSON carries warnings; and whatever goes to
// stderr comes after the output has ended a whole line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';
import { majorUnits } from '../../src/payouts/render.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(repo, 'rules', 'tests', 'enterprise');

async function crm(): Promise<string> {
  const db = join(tempDir(), 'salesflow.db');
  for (const kind of ['reps', 'deals', 'credits', 'rates']) {
    const r = await salesflow(['import', '--kind', kind, join(fixture, `${kind}.csv`)], db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  return db;
}

/** Runs in-process and keeps stdout and stderr in one transcript, in the order they were written (as a terminal shows them). */
async function transcript(args: string[], db: string): Promise<{ code: number; all: string; stdout: string }> {
  let all = '';
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { all += String(c); stdout += String(c); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { all += String(c); return true; });
  const previous = process.env.DATABASE_URL;
  process.env.DATABASE_URL = db;
  try {
    return { code: await main(args), all, stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (previous === undefined) delete process.env.DATABASE_URL; else process.env.DATABASE_URL = previous;
  }
}

describe('simulate: incentive, in depth', () => {
  it('JSON: credited deals with shares, conversions with rate and date, proration with its fraction, warnings', async () => {
    const db = await crm();
    const r = await salesflow(['simulate', '--period', '2026-Q1', '--rule', 'Enterprise AEs FY26', '--format', 'json', join(repo, 'rules')], db);
    expect(r.code).toBe(0);
    const byRep = new Map((JSON.parse(r.stdout) as Record<string, unknown>[]).map((s) => [s.rep, s]));
    expect(byRep.get('e3')).toMatchObject({
      total: '5100.00',
      credited: [{ deal: 'S1', type: 'revenue', share: '60', closed_at: '2026-02-05', amount: '200000.00', currency: 'USD', credited: '120000.00' }],
      warnings: [],
    });
    expect(byRep.get('e5')).toMatchObject({
      measure: '67000.00',
      credited: [
        { deal: 'F1', type: 'own', share: '100', closed_at: '2026-02-10', amount: '50000.00', currency: 'EUR', conversion: { rate: '1.1', from: '2026-01-01' }, credited: '55000.00' },
        { deal: 'F2', type: 'own', share: '100', closed_at: '2026-03-15', amount: '10000.00', currency: 'EUR', conversion: { rate: '1.2', from: '2026-03-01' }, credited: '12000.00' },
      ],
      warnings: [expect.stringMatching(/^deal F3 \(won, 8,000.00 GBP\) is left out: no GBP to USD rate is effective on 2026-03-20/)],
    });
    expect(byRep.get('e6')).toMatchObject({
      target: '125000.00', attainment: '80.00',
      proration: { fraction: '45/90', target: '250000.00', prorated: '125000.00', bounds: ['75000.00', '125000.00'] },
    });
    // A rep employed the whole quarter has no proration, and its own whole USD deals are not listed.
    expect(byRep.get('e1')).not.toHaveProperty('proration');
    expect(byRep.get('e1')).toMatchObject({ credited: [], target: '250000.00' });
    // Every amount as SPEC §8 writes it ("15500.00"), and the SPEC's field name for the date.
    for (const s of byRep.values()) {
      for (const c of (s.credited ?? []) as Record<string, unknown>[]) {
        expect(Object.keys(c)).not.toContain('closedAt');
        expect(c.amount).toMatch(/^\d+\.\d{2,}$/);
        expect(c.credited).toMatch(/^\d+\.\d{2,}$/);
      }
    }
  });

  it('JSON amounts of credited deals: at least the minor digits, never fewer digits than the exact value', () => {
    expect(majorUnits('200000', 'USD')).toBe('200000.00');
    expect(majorUnits('56172.839', 'USD')).toBe('56172.839');
    expect(majorUnits('1500.50000', 'EUR')).toBe('1500.50');
    expect(majorUnits('120000', 'JPY')).toBe('120000');
  });

  it('table: the credited, converted and prorated lines under each header; the totals line whole, then stderr', async () => {
    const db = await crm();
    const r = await transcript(['simulate', '--period', '2026-Q1', join(repo, 'rules')], db);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  credited   S1 (2026-02-05): 60% revenue share of 200,000.00 USD = 120,000.00 USD\n');
    expect(r.stdout).toContain('  credited   F1 (2026-02-10): own deal of 50,000.00 EUR at 1.1 EUR→USD (rate from 2026-01-01) = 55,000.00 USD\n');
    expect(r.stdout).toContain('  prorated   target 250,000.00 USD × 45/90 days employed = 125,000.00 USD; band bounds 75,000.00 USD, 125,000.00 USD\n');
    expect(r.stdout).toContain('  credited   B3 (2026-03-30): team deal of 20,000.00 USD = 20,000.00 USD\n');
    expect(r.stdout).toMatch(/\n {2}warning {4}m3 \(m3@acme\.example\) has no reports: `credit team` credits no deals\n/);
    // The output's last line is the totals, whole; any note comes on lines of its own after it.
    const totals = r.all.match(/^\d+ statements, total [^\n]*$/m);
    expect(totals?.[0]).toMatch(/^\d+ statements, total [\d,.]+ USD$/);
    for (const line of r.all.slice(r.all.indexOf(totals![0])).split('\n').slice(1)) expect(line).toMatch(/^(note: |warning: |$)/);
  });

  it('credit team with prorate: a manager hired mid-quarter gets the prorated target and bands, and a warning naming the team deals from before the start', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    writeFileSync(join(dir, 'reps.csv'), 'id,name,email,role,manager,start_date,end_date\n'
      + 'mgr,Mia,mia@acme.example,Manager,vp@acme.example,2026-02-15,\n'
      + 'a1,Ann,ann@acme.example,AE,mia@acme.example,2020-01-01,\n'
      + 'old,Olga,olga@acme.example,Manager,vp@acme.example,2020-01-01,2026-02-14\n'
      + 'a2,Al,al@acme.example,AE,olga@acme.example,2020-01-01,\n');
    writeFileSync(join(dir, 'deals.csv'), 'id,rep,name,amount,currency,stage,closed_at\n'
      + 'D1,a1,One,100000,USD,won,2026-01-20\nD2,a1,Two,80000,USD,won,2026-03-10\nD3,a1,Three,150000,USD,won,2026-03-20\n'
      + 'E1,a2,Four,10000,USD,won,2026-02-01\nE2,a2,Five,20000,USD,won,2026-03-01\n');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'm.rules'), 'incentive "Managers" {\n  for reps where rep.role = "Manager"\n  period quarter\n  measure revenue\n'
      + '  target 900_000 USD\n  credit team\n  prorate target by employment\n'
      + '  commission marginal { up to 200_000 USD pay 1% up to 400_000 USD pay 2% above pay 3% }\n'
      + '  approve by rep.manager within 5 days { otherwise reject }\n}\n');
    for (const kind of ['reps', 'deals']) expect((await salesflow(['import', '--kind', kind, join(dir, `${kind}.csv`)], db)).code).toBe(0);
    const r = await salesflow(['simulate', '--period', '2026-Q1', '--format', 'json', join(dir, 'rules')], db);
    expect(r.code).toBe(0);
    const byRep = new Map((JSON.parse(r.stdout) as Record<string, unknown>[]).map((st) => [st.rep, st]));
    // 15 February to 31 March: 45 of the quarter's 90 days; the amount bounds halve with the target.
    expect(byRep.get('mgr')).toMatchObject({
      measure: '330000.00', target: '450000.00', attainment: '73.33', total: '6900.00', // 1% of 100k + 2% of 100k + 3% of 130k
      proration: { fraction: '45/90', target: '900000.00', prorated: '450000.00', bounds: ['100000.00', '200000.00'] },
      warnings: ["team deal D1 closed before mgr's start_date 2026-02-15 counts in the measure: `credit team` counts the team's deals of the whole period, while `prorate` cuts the target to 45/90 days employed"],
    });
    // A manager who left on 14 February: the deal of 1 March after it is named too.
    expect(byRep.get('old')).toMatchObject({
      proration: { fraction: '45/90' },
      warnings: ["team deal E2 closed after old's end_date 2026-02-14 counts in the measure: `credit team` counts the team's deals of the whole period, while `prorate` cuts the target to 45/90 days employed"],
    });
  });

  it('prorate with own and split deals: the deals closed before the start (or after the end) are named as for credit team, in simulate (JSON and table) and salesflow test; figures unchanged', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    const reps = 'id,name,email,role,manager,start_date,end_date\n'
      + 'new,Nia,nia@acme.example,AE,vp@acme.example,2026-02-15,\n'
      + 'gone,Gus,gus@acme.example,AE,vp@acme.example,2020-01-01,2026-02-14\n'
      + 'full,Fay,fay@acme.example,AE,vp@acme.example,2020-01-01,\n';
    // N1 before the hire; N2 after it (not named); S1 split 50/50 with a rep employed all along;
    // E1 in EUR is left out (no convert), so it is not named either; G1 after the leaving date.
    const deals = 'id,rep,name,amount,currency,stage,closed_at\n'
      + 'N1,new,One,100000,USD,won,2026-01-20\nN2,new,Two,50000,USD,won,2026-03-01\nS1,full,Split,40000,USD,won,2026-01-25\n'
      + 'E1,new,Euro,9000,EUR,won,2026-01-10\nL1,new,Lost,7000,USD,lost,2026-01-12\nG1,gone,Late,30000,USD,won,2026-03-01\nF1,full,Own,20000,USD,won,2026-01-05\n';
    const credits = 'deal,rep,share,type\nS1,new,50,revenue\nS1,full,50,revenue\n';
    for (const [name, text] of [['reps.csv', reps], ['deals.csv', deals], ['credits.csv', credits]]) writeFileSync(join(dir, name), text);
    mkdirSync(join(dir, 'rules'));
    const rule = (name: string, credit: string) => `incentive "${name}" {\n  for reps where rep.role = "AE"\n  period quarter\n  measure revenue\n`
      + `  target 200_000 USD\n${credit}  prorate target by employment\n  commission retroactive { up to 100% pay 2% above pay 3% }\n`
      + '  approve by rep.manager within 5 days { otherwise reject }\n}\n';
    writeFileSync(join(dir, 'rules', 'ae.rules'), rule('Split AEs', '  credit splits\n') + rule('Plain AEs', ''));
    for (const kind of ['reps', 'deals', 'credits']) expect((await salesflow(['import', '--kind', kind, join(dir, `${kind}.csv`)], db)).code).toBe(0);

    const before = (deals: string) => `${deals} closed before new's start_date 2026-02-15`;
    const tail = ' in the measure: a deal counts in the period it closes in, while `prorate` cuts the target to 45/90 days employed';
    const gone = `deal G1 closed after gone's end_date 2026-02-14 counts${tail}`;
    const run = async (ruleName: string) => {
      const r = await salesflow(['simulate', '--period', '2026-Q1', '--rule', ruleName, '--format', 'json', join(dir, 'rules')], db);
      expect(r.code).toBe(0);
      return new Map((JSON.parse(r.stdout) as Record<string, unknown>[]).map((st) => [st.rep, st]));
    };
    const split = await run('Split AEs');
    // Still counted (a deal counts in the period it closes in): 100,000 + 50,000 + 50% of 40,000.
    expect(split.get('new')).toMatchObject({
      measure: '170000.00', target: '100000.00', proration: { fraction: '45/90' },
      warnings: [expect.stringMatching(/^deal E1 .* is left out/), `${before('deals N1, S1')} count${tail}`],
    });
    expect(split.get('gone')).toMatchObject({ measure: '30000.00', warnings: [gone] });
    expect(split.get('full')).toMatchObject({ warnings: [] });
    // Without `credit`, on the plain scan: the own deal only.
    const plain = await run('Plain AEs');
    expect(plain.get('new')).toMatchObject({ measure: '150000.00', warnings: [expect.stringMatching(/^deal E1 /), `${before('deal N1')} counts${tail}`] });
    expect(plain.get('gone')).toMatchObject({ warnings: [gone] });

    const table = await salesflow(['simulate', '--period', '2026-Q1', '--rule', 'Split AEs', join(dir, 'rules')], db);
    expect(table.stdout).toContain(`  warning    ${before('deals N1, S1')} count${tail}\n`);

    // salesflow test reads the same warning (the rep list way, not the streamed one).
    const cases = join(dir, 'rules', 'tests', 'hire');
    mkdirSync(cases, { recursive: true });
    for (const name of ['reps.csv', 'deals.csv', 'credits.csv']) writeFileSync(join(cases, name), name === 'reps.csv' ? reps : name === 'deals.csv' ? deals : credits);
    writeFileSync(join(cases, 'case.json'), JSON.stringify([
      { name: 'split', rule: 'Split AEs', period: '2026-Q1', rep: 'new', expect: { total: '5100.00', warnings: [`${before('deals N1, S1')} count${tail}`] } },
      { name: 'plain', rule: 'Plain AEs', period: '2026-Q1', rep: 'gone', expect: { warnings: [gone] } },
    ]));
    const tested = await salesflow(['test', join(dir, 'rules')], join(tempDir(), 'unused.db'));
    expect(tested.stdout).toContain('PASS: 2/2');
    expect(tested.code).toBe(0);
  });

  it('JSON: warnings echoed on stderr only after the JSON has ended its last line', async () => {
    const db = await crm();
    const r = await transcript(['simulate', '--period', '2026-Q1', '--format', 'json', join(repo, 'rules')], db);
    expect(r.code).toBe(0);
    const end = r.all.indexOf('\n]\n');
    expect(end).toBeGreaterThan(0);
    expect(JSON.parse(r.all.slice(0, end + 3))).toBeInstanceOf(Array);
    const after = r.all.slice(end + 3).split('\n').filter(Boolean);
    expect(after).toEqual(expect.arrayContaining([expect.stringMatching(/^warning: Enterprise AEs FY26 e5: deal F3 /)]));
    for (const line of after) expect(line).toMatch(/^(warning|note): /);
  });
});
