import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { openDatabase } from '../../src/data/db.js';
import { recordPayout } from '../../src/data/ledger.js';
import { insertOutboxIfAbsent } from '../../src/data/outbox.js';
import { decideStatement, recordStatement } from '../../src/data/statements.js';
import type { Statement } from '../../src/payouts/statement.js';
import { salesflow } from '../data/cli.js';
import { fixture, tempDir } from '../data/tmp.js';

const rulesDir = fileURLToPath(new URL('../fixtures/rules', import.meta.url));
const specCases = fileURLToPath(new URL('../fixtures/cases/spec-example', import.meta.url));

async function crm(): Promise<string> {
  const db = join(tempDir(), 'salesflow.db');
  for (const kind of ['reps', 'deals']) {
    const r = await salesflow(['import', '--kind', kind, fixture(`${kind}.csv`)], db);
    expect(r.code).toBe(0);
  }
  return db;
}

describe('salesflow simulate (rules compiled from text)', () => {
  it('prints the SPEC §8 JSON for every selected rep', async () => {
    const db = await crm();
    const r = await salesflow(['simulate', '--period', '2026-Q1', '--format', 'json', rulesDir], db);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({
      rule: 'AE commission FY26', rep: 'r1', period: '2026-Q1', currency: 'USD', measure: '160000.00', target: '100000.00',
      attainment: '160.00',
      lines: [
        { kind: 'commission', description: expect.stringContaining('up to 100%'), amount: '8000.00' },
        { kind: 'commission', description: expect.stringContaining('up to 150%'), amount: '6000.00' },
        { kind: 'commission', description: expect.stringContaining('above'), amount: '1500.00' },
        { kind: 'spiff', description: expect.stringContaining('D2, D3'), amount: '500.00' },
      ],
      capped: false, total: '16000.00', rewards: ['Extra day off'],
      // SPEC §8: each statement carries its warnings, naming the deal ids they concern.
      warnings: [expect.stringContaining('deal D7 (won, 5,000.00 EUR) is left out')],
    });
    expect(out[1]).toMatchObject({ rep: 'r2', capped: true, total: '30000.00', warnings: [] });
    // Also echoed on stderr, after the JSON, so stdout stays pure JSON.
    expect(r.stderr).toContain('deal D7');
  });

  it('prints a table by default and explains mistakes', async () => {
    const db = await crm();
    const table = await salesflow(['simulate', '--period', '2026-Q1', rulesDir], db);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('AE commission FY26 · 2026-Q1 · r1 Ada Lovelace');
    expect(table.stdout).toContain('2 statements, total 46,000.00 USD');
    const typo = await salesflow(['simulate', '--period', '2026-Q1', '--rule', 'AE comission FY26', rulesDir], db);
    expect(typo).toMatchObject({ code: 1, stderr: expect.stringContaining('did you mean "AE commission FY26"?') });
    const badPeriod = await salesflow(['simulate', '--period', '2026-Q5', rulesDir], db);
    expect(badPeriod).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a period') });
    const noData = await salesflow(['simulate', '--period', '2026-Q1', rulesDir], join(tempDir(), 'none.db'));
    expect(noData).toMatchObject({ code: 1, stderr: expect.stringContaining('no data source') });
    // Was: the last --rule won and the first was dropped without a word.
    const twice = await salesflow(['simulate', '--period', '2026-Q1', '--rule', 'AE commission FY26', '-r', 'Other', rulesDir], db);
    expect(twice).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining(`Option '--rule' is given twice ("AE commission FY26", "Other")`) });
    const payouts = await salesflow(['payouts', 'run', '--period', '2026-Q1', '--period', '2026-Q2'], db);
    expect(payouts).toMatchObject({ code: 1, stderr: expect.stringContaining(`Option '--period' is given twice`) });
  });
});

describe('salesflow test', () => {
  it('pays the worked examples of vendor documentation (rules/tests/vendor-examples) and the money tiers of the issue', async () => {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const vendor = await salesflow(['test', 'rules/tests/vendor-examples/'], join(tempDir(), 'unused.db'), repo);
    expect(vendor.stdout).toMatch(/^ok {4}prowi\.io: 140,000 on a 100,000 quota pays/m);
    expect(vendor.stdout).toContain('PASS: 3/3\n');
    expect(vendor.code).toBe(0);
    const shipped = await salesflow(['test', 'rules/'], join(tempDir(), 'unused.db'), repo);
    expect(shipped.stdout).toMatch(/^ok {4}the same rep closing 20,000 more \(165,000 USD\) earns 1,100 more/m);
    expect(shipped.stdout).toMatch(/^ok {4}hired 15 February/m);
    expect(shipped.stdout).toMatch(/^ok {4}credit team for a manager nobody reports to/m);
  });

  it('runs the cases shipped in rules/tests against the example rules in rules/: all ok', async () => {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const r = await salesflow(['test', 'rules/'], join(tempDir(), 'unused.db'), repo);
    expect(r.stdout).toMatch(/^ok {4}marginal bands \(SPEC §5/m);
    expect(r.stdout).toMatch(/PASS: (\d+)\/\1\n/);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.code).toBe(0);
  });

  it('the SPEC §5 text with the hand-calculated SPEC cases: all ok', async () => {
    const dir = tempDir();
    cpSync(join(rulesDir, 'incentives.rules'), join(dir, 'incentives.rules'));
    cpSync(specCases, join(dir, 'tests', 'spec-example'), { recursive: true });
    const r = await salesflow(['test', dir], join(tempDir(), 'unused.db'));
    expect(r.stdout).toContain('PASS: 4/4');
    expect(r.code).toBe(0);
  });

  it('reports FAIL with a diff and exits 1 when an expectation is wrong', async () => {
    const dir = tempDir();
    cpSync(join(rulesDir, 'incentives.rules'), join(dir, 'incentives.rules'));
    const caseDir = join(dir, 'tests', 'capped');
    mkdirSync(caseDir, { recursive: true });
    cpSync(fixture('reps.csv'), join(caseDir, 'reps.csv'));
    writeFileSync(join(caseDir, 'deals.csv'), 'id,rep,amount,currency,stage,closed_at\nR1,r2,300000,USD,won,2026-02-14\n');
    writeFileSync(join(caseDir, 'case.json'), JSON.stringify({
      rule: 'AE commission FY26', period: '2026-Q1', rep: 'r2',
      expect: { lines: [{ kind: 'commission', amount: '8000' }, { kind: 'commission', amount: '6000' }, { kind: 'commission', amount: '22000' }, { kind: 'cap', amount: '-6000' }], total: '30000' },
    }));
    const r = await salesflow(['test', dir], join(tempDir(), 'unused.db'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}capped {2}\(\S*tests\/capped\/case\.json:1\)$/m);
    expect(r.stdout).toMatch(/- commission +22000\.00/);
    expect(r.stdout).toMatch(/\+ commission +22500\.00/);
    expect(r.stdout).toContain('FAIL: 1/1');
  });

  it('given a folder of cases instead of the rules folder: says which folder to give, exit 1 (not a green run of nothing)', async () => {
    const dir = tempDir();
    cpSync(join(rulesDir, 'incentives.rules'), join(dir, 'incentives.rules'));
    cpSync(specCases, join(dir, 'tests', 'spec-example'), { recursive: true });
    for (const path of ['tests/spec-example', 'tests']) {
      const r = await salesflow(['test', path], join(tempDir(), 'unused.db'), dir);
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toContain(`salesflow test: ${path} holds test cases; give the rules folder they test instead: salesflow test .\n`);
    }
    // A rules folder without cases is still "no test cases found" and exit 0, as documented.
    const bare = tempDir();
    cpSync(join(rulesDir, 'incentives.rules'), join(bare, 'incentives.rules'));
    const none = await salesflow(['test', bare], join(tempDir(), 'unused.db'));
    expect(none).toMatchObject({ code: 0, stderr: expect.stringContaining('no test cases found') });
    expect(none.stderr).not.toContain('holds test cases');
  });

  it('--format json: one array of cases with what each names, ok, and its messages; exit 1 when one fails', async () => {
    const dir = tempDir();
    cpSync(join(rulesDir, 'incentives.rules'), join(dir, 'incentives.rules'));
    const caseDir = join(dir, 'tests', 'two');
    mkdirSync(caseDir, { recursive: true });
    cpSync(fixture('reps.csv'), join(caseDir, 'reps.csv'));
    writeFileSync(join(caseDir, 'deals.csv'), 'id,rep,amount,currency,stage,closed_at\nR1,r2,300000,USD,won,2026-02-14\n');
    const base = { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r2' };
    writeFileSync(join(caseDir, 'case.json'), JSON.stringify([{ ...base, name: 'capped', expect: { total: '30000', capped: true } }, { ...base, expect: { total: '1' } }]));
    const r = await salesflow(['test', '--format', 'json', dir], join(tempDir(), 'unused.db'), dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      { name: 'capped', file: 'tests/two/case.json', line: 1, rule: 'AE commission FY26', period: '2026-Q1', rep: 'r2', ok: true, messages: [] },
      { name: 'two[2]', file: 'tests/two/case.json', line: 1, rule: 'AE commission FY26', period: '2026-Q1', rep: 'r2', ok: false, messages: ['case [2]: rule "AE commission FY26", period 2026-Q1, rep r2', 'total: expected 1, got 30000.00'] },
    ]);
    writeFileSync(join(caseDir, 'case.json'), JSON.stringify({ ...base, expect: { total: '30000' } }));
    const passing = await salesflow(['test', '--format', 'json', dir], join(tempDir(), 'unused.db'), dir);
    expect(passing.code).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject([{ ok: true }]);
    const bad = await salesflow(['test', '--format', 'xml', dir], join(tempDir(), 'unused.db'), dir);
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('--format must be text or json') });
  });
});

describe('salesflow payouts export', () => {
  // Statements still pending send export to Temporal to ask whether their runs go on: here no
  // Temporal answers (nothing listens on port 9), whatever else runs on this machine.
  const address = process.env.TEMPORAL_ADDRESS;
  beforeAll(() => { process.env.TEMPORAL_ADDRESS = '127.0.0.1:9'; });
  afterAll(() => {
    if (address === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = address;
  });
  it('prints the approved ledger of the period as CSV with proper quoting', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const db = await openDatabase(path);
    const base = { ruleId: 'ae', ruleVersion: 'v1', currency: 'USD', approvedAt: '2026-04-03T09:00:00.000Z' };
    await recordPayout(db, { ...base, ruleName: 'AE commission, "FY26"', rep: 'r1', period: '2026-Q1', amount: '16000.00', approvedBy: 'grace@acme.example', workflowId: 'payout:ae:r1:2026-Q1', planHash: 'p1' });
    await recordPayout(db, { ...base, ruleName: 'AE', rep: 'r2', period: '2026-Q2', amount: '5.00', approvedBy: 'vp@acme.example', workflowId: 'payout:ae:r2:2026-Q2' });
    await db.close();
    const r = await salesflow(['payouts', 'export', '--period', '2026-Q1'], path);
    expect(r.code).toBe(0);
    const parsed = parseCsv(r.stdout);
    expect(parsed.ok && parsed.records.map((x) => x.fields)).toEqual([
      ['rule', 'rep', 'period', 'currency', 'amount', 'approved_by', 'approved_at', 'rewards', 'rule_id', 'rule_version', 'plan_hash'],
      ['AE commission, "FY26"', 'r1', '2026-Q1', 'USD', '16000.00', 'grace@acme.example', '2026-04-03T09:00:00.000Z', '', 'ae', 'v1', 'p1'],
    ]);
    expect(r.stdout.split('\r\n')[1]).toBe('"AE commission, ""FY26""",r1,2026-Q1,USD,16000.00,grace@acme.example,2026-04-03T09:00:00.000Z,,ae,v1,p1');
    const bad = await salesflow(['payouts', 'export', '--period', 'last quarter'], path);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a period') });
    // Export does not filter by rule: payroll must not get every rule's rows while believing they are one rule's.
    const byRule = await salesflow(['payouts', 'export', '--period', '2026-Q1', '--rule', 'AE'], path);
    expect(byRule).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('--rule is for `payouts run`; export takes only --period') });
  });

  it('says which approved payouts of overlapping periods (a monthly plan\'s months in a quarter) the export leaves out', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const db = await openDatabase(path);
    const base = { ruleName: 'Monthly', ruleId: 'monthly', ruleVersion: 'v1', currency: 'USD', amount: '100.00', approvedBy: 'boss@acme.example', approvedAt: '2026-04-03T09:00:00.000Z' };
    for (const [rep, period] of [['r1', '2026-01'], ['r2', '2026-01'], ['r1', '2026-03'], ['r1', '2025-12'], ['r1', '2026-04'], ['r1', '2026']]) {
      await recordPayout(db, { ...base, rep, period, workflowId: `payout:monthly:${rep}:${period}` });
    }
    await db.close();
    const quarter = await salesflow(['payouts', 'export', '--period', '2026-Q1'], path);
    expect(quarter.code).toBe(0);
    expect(quarter.stdout.trim().split('\r\n')).toHaveLength(1);
    expect(quarter.stderr).toContain('note: approved payouts of 2026 (1), 2026-01 (2), 2026-03 (1) overlap 2026-Q1 but are not in this export');
    // A period whose own payouts are all there, with nothing else overlapping, gets no such note.
    const december = await salesflow(['payouts', 'export', '--period', '2025-12'], path);
    expect(december.stdout.trim().split('\r\n')).toHaveLength(2);
    expect(december.stderr).not.toContain('overlap');
  });

  it('names statements rejected and not run again (their pay for the period is still open), but not those asked again', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const db = await openDatabase(path);
    const statement = (rep: string, total: string) => ({ ruleId: 'ae', rule: 'AE', ruleVersion: 'v1', rep, period: '2026-Q1', currency: 'USD', total }) as Statement;
    const reject = async (workflowId: string, rep: string) => {
      await recordStatement(db, workflowId, statement(rep, '900.00'), 'pending');
      await decideStatement(db, workflowId, { status: 'rejected', by: 'boss@acme.example', reason: 'typo' });
    };
    await reject('payout:ae:r-open:2026-Q1', 'r-open');
    // Rejected, then asked again (attempt 2) and approved: paid, in the file.
    await reject('payout:ae:r-redone:2026-Q1', 'r-redone');
    await recordStatement(db, 'payout:ae:r-redone:2026-Q1:attempt-2', statement('r-redone', '90.00'), 'pending');
    await decideStatement(db, 'payout:ae:r-redone:2026-Q1:attempt-2', { status: 'approved', by: 'boss@acme.example' });
    await recordPayout(db, {
      ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r-redone', period: '2026-Q1', currency: 'USD', amount: '90.00',
      approvedBy: 'boss@acme.example', approvedAt: '2026-04-03T09:00:00.000Z', workflowId: 'payout:ae:r-redone:2026-Q1:attempt-2',
    });
    await db.close();
    const r = await salesflow(['payouts', 'export', '--period', '2026-Q1'], path);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\r\n').slice(1).map((line) => line.split(',').slice(1, 5).join(','))).toEqual(['r-redone,2026-Q1,USD,90.00']);
    expect(r.stderr).toContain(
      'note: 1 statement was rejected and not run again, so not in this export: AE / r-open; once the data is corrected, `salesflow payouts run --period 2026-Q1 --rerun-rejected` asks for approval again',
    );
  });

  it('never hands payroll a cell a spreadsheet would run as a formula; amounts stay numbers', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const db = await openDatabase(path);
    const base = { ruleId: 'ae', ruleVersion: 'v1', currency: 'USD', period: '2026-Q1', approvedAt: '2026-04-03T09:00:00.000Z', planHash: 'p1' };
    // Rep ids come from CRM imports: an id like this opens as a live formula in Excel or Sheets.
    await recordPayout(db, { ...base, ruleName: 'AE', rep: '=HYPERLINK("http://evil.example","x")', amount: '-25.50', approvedBy: '@vp@acme.example', workflowId: 'w1' });
    await recordPayout(db, { ...base, ruleName: 'AE', rep: 'Ana\nLine two, "quoted"', amount: '0.01', approvedBy: 'otherwise', workflowId: 'w2' });
    // A reward-only statement (0.00 to pay): the export names the rewards, so HR sees what was granted.
    const rewarded = { ruleId: 'ae', rule: 'AE', ruleVersion: 'v1', rep: 'r-day-off', period: '2026-Q1', currency: 'USD', total: '0.00', rewards: ['Extra day off', '=Lunch, with "CEO"'] } as unknown as Statement;
    await recordStatement(db, 'w3', rewarded, 'pending');
    await decideStatement(db, 'w3', { status: 'approved', by: 'boss@acme.example' });
    await recordPayout(db, { ...base, ruleName: 'AE', rep: 'r-day-off', amount: '0.00', approvedBy: 'boss@acme.example', workflowId: 'w3' });
    // Two statements of the period still wait for their approver: payroll must hear they are missing.
    for (const rep of ['r-late', 'r-later']) {
      const statement = { ruleId: 'ae', rule: 'AE', ruleVersion: 'v1', rep, period: '2026-Q1', currency: 'USD', total: '10.00' } as Statement;
      await recordStatement(db, `payout:ae:${rep}:2026-Q1`, statement, 'pending');
    }
    // r-late's manager was emailed (what the worker's send records); r-later's run had nobody to ask.
    await insertOutboxIfAbsent(db, {
      key: 'payout:ae:r-late:2026-Q1:approval-0:boss@acme.example', workflow_id: 'payout:ae:r-late:2026-Q1', rule_id: 'ae',
      template: 'incentive-approval', to_addr: 'boss@acme.example', from_addr: 'ops@acme.example', subject: 'Approve', html: '', text: '', headers: {},
    }, 'sent');
    await db.close();
    const r = await salesflow(['payouts', 'export', '--period', '2026-Q1'], path);
    expect(r.code).toBe(0);
    const parsed = parseCsv(r.stdout);
    expect(parsed.ok && parsed.records.slice(1).map((x) => [...x.fields.slice(0, 6), x.fields[7]])).toEqual([
      ['AE', '\'=HYPERLINK("http://evil.example","x")', '2026-Q1', 'USD', '-25.50', '\'@vp@acme.example', ''],
      ['AE', 'Ana\nLine two, "quoted"', '2026-Q1', 'USD', '0.01', 'otherwise', ''],
      ['AE', 'r-day-off', '2026-Q1', 'USD', '0.00', 'boss@acme.example', 'Extra day off; =Lunch, with "CEO"'],
    ]);
    expect(r.stderr).toContain('note: 2 statements of 2026-Q1 still await approval and are not in this export: AE / r-late, AE / r-later');
    // Whether their runs still go on could not be checked: said, rather than guessed either way.
    expect(r.stderr).toContain('note: Temporal did not answer (cannot reach Temporal at 127.0.0.1:9 (TEMPORAL_ADDRESS)');
    // Chasing an approver is no use for one nobody was asked about: payroll is told which.
    expect(r.stderr).toContain("note: nobody was asked to approve 1 of them (no approval email was sent; e.g. no manager on record): AE / r-later; the rule's `otherwise` decides them when their approval window ends");
    // A period with no approved payout is the header alone, so payroll scripts still find the columns.
    const empty = await salesflow(['payouts', 'export', '--period', '2026-Q2'], path);
    expect(empty).toMatchObject({ code: 0, stdout: 'rule,rep,period,currency,amount,approved_by,approved_at,rewards,rule_id,rule_version,plan_hash\r\n' });
    expect(empty.stderr).toContain('0 approved payouts for 2026-Q2');
    // No payout run reached 2026-Q2: an empty file must not read as "nothing owed".
    expect(empty.stderr).toContain('note: no statement of 2026-Q2 is on record: neither the period-end schedule nor `salesflow payouts run --period 2026-Q2` has run for it yet');
    // 2026-Q1 has statements (pending ones here): no such note.
    expect(r.stderr).not.toContain('no statement of');
  });
});

