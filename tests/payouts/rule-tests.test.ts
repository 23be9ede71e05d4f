// `salesflow test` case folders run against a hand-written plan: passing cases, the diff of a
// failing one, fixtures that do not import, and case files that do not read.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateKeys } from '../../src/data/json-duplicates.js';
import { findCaseFolders, runCaseFolder } from '../../src/data/rule-tests.js';
import { loadRules } from '../../src/dsl/index.js';
import { diffLines } from '../../src/payouts/test-case.js';
import type { Plan } from '../../src/plan/schema.js';
import { tempDir } from '../data/tmp.js';
import { specRule } from './spec-rule.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const plan: Plan = { formatVersion: 1, hash: 'h', metrics: [], rules: [specRule()] };
const casesDir = (name: string) => fileURLToPath(new URL(`../fixtures/cases/${name}`, import.meta.url));

describe('rule test cases', () => {
  it('finds case folders under tests/ beside the rules', async () => {
    const folders = findCaseFolders([`${root}/rules`]);
    expect(folders.map((f) => f.file)).toContain(`${root}/rules/tests/commission/case.json`);
  });

  it('the SPEC §5 cases pass against the hand-written plan', async () => {
    const results = await runCaseFolder(plan, { dir: casesDir('spec-example'), file: `${casesDir('spec-example')}/case.json` }, root);
    expect(results.map((r) => [r.name, r.ok, r.report])).toEqual([
      ['marginal bands and spiffs (SPEC §5 example: 160k on a 100k target)', true, []],
      ['the cap cuts 36,500 down to 30,000', true, []],
      ['exactly 100% stays in the first band; ten wins earn the bonus', true, []],
      ['SDRs are not on the AE plan', true, []],
    ]);
  });

  it('a failing case shows expected against actual lines and the totals', async () => {
    const [result] = await runCaseFolder(plan, { dir: casesDir('wrong-total'), file: `${casesDir('wrong-total')}/case.json` }, root);
    expect(result.ok).toBe(false);
    expect(result.name).toBe('wrong-total');
    const text = result.report.join('\n');
    expect(text).toContain('lines (- expected, + actual):');
    expect(text).toMatch(/^ {4}commission +8000\.00$/m);
    expect(text).toMatch(/^ {2}- commission +6600\.00\n {2}\+ commission +6000\.00$/m);
    expect(text).toContain('total: expected 16100.00, got 15500.00');
  });

  it('a fixture that does not import fails the case with the CSV problem', async () => {
    const [result] = await runCaseFolder(plan, { dir: casesDir('bad-fixture'), file: `${casesDir('bad-fixture')}/case.json` }, root);
    expect(result.ok).toBe(false);
    expect(result.report.join('\n')).toMatch(/tests\/fixtures\/cases\/bad-fixture\/deals\.csv:2: amount: expected a plain decimal/);
  });

  it('a case file that does not read names the case and the field; a SPEC line kind this plan does not pay is a line mismatch', async () => {
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv']) copyFileSync(join(casesDir('spec-example'), csv), join(dir, csv));
    const file = join(dir, 'case.json');
    const run = async (cases: unknown) => { writeFileSync(file, JSON.stringify(cases)); return runCaseFolder(plan, { dir, file }, root); };
    const ok = { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { total: '15500' } };
    const [bad] = await run([ok, { ...ok, expect: { lines: [{ kind: 'drawx', amount: '1' }] } }]);
    expect(bad.ok).toBe(false);
    expect(bad.report.join('\n')).toMatch(/case\.json:1: case \[2\]\.expect\.lines\[0\]\.kind: .*"draw"/);
    // A misspelt kind names what was written and the kind meant; a missing `expect` says what it holds.
    const [kindTypo] = await run([{ ...ok, expect: { lines: [{ kind: 'comission', amount: '1' }] } }]);
    expect(kindTypo.report).toEqual([
      expect.stringMatching(/case\.json:1: case \[1\]\.expect\.lines\[0\]\.kind: "comission" is not a line kind \(did you mean "commission"\?\); expected one of commission, bonus, spiff, cap, /),
    ]);
    const { expect: _, ...noExpect } = ok;
    const [missing] = await run([ok, noExpect]);
    expect(missing.report).toEqual([
      expect.stringMatching(/case\.json:1: case \[2\]: missing field "expect" \(the expected statement, or null when the rule must not select this rep\)$/),
    ]);
    const [text] = await run('the cases');
    expect(text.report).toEqual([expect.stringMatching(/case\.json:1: \(case\): expected one case \({"rule", "period", "rep", "expect"}\) or an array of cases, got string$/)]);
    const [single] = await run({ ...ok, expect: { total: 'abc' } });
    expect(single.report).toEqual([expect.stringMatching(/case\.json:1: expect\.total: expected a decimal amount/)]);
    const [draw] = await run({ ...ok, expect: { lines: [{ kind: 'draw', amount: '3000' }] } });
    expect(draw.ok).toBe(false);
    expect(draw.report.join('\n')).toMatch(/^ {2}- draw +3000\.00$/m);
  });

  it('a misspelt key in a case file fails it, naming the key and the nearest known one, instead of leaving that expectation unchecked', async () => {
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv']) copyFileSync(join(casesDir('spec-example'), csv), join(dir, csv));
    const file = join(dir, 'case.json');
    // The SPEC example pays 15,500.00: a "totl" of 99 must not pass as if only the rule were named.
    writeFileSync(file, JSON.stringify({ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { totl: '99', caped: true } }));
    const [typo] = await runCaseFolder(plan, { dir, file }, root);
    expect(typo.ok).toBe(false);
    expect(typo.report).toEqual([
      expect.stringMatching(/case\.json:1: expect: unknown field "totl" \(did you mean "total"\?\), unknown field "caped" \(did you mean "capped"\?\); known fields: lines, total, capped, rewards, warnings, proration, credited$/),
    ]);
    writeFileSync(file, JSON.stringify([{ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expct: { total: '15500' }, expect: { lines: [{ kind: 'spiff', amout: '500' }] } }]));
    const [two] = await runCaseFolder(plan, { dir, file }, root);
    expect(two.ok).toBe(false);
    expect(two.report).toEqual([
      expect.stringMatching(/case\.json:1: case \[1\]\.expect\.lines\[0\]: missing field "amount" \(a decimal amount like "15500\.00"\)$/),
      expect.stringMatching(/case\.json:1: case \[1\]\.expect\.lines\[0\]: unknown field "amout" \(did you mean "amount"\?\); known fields: kind, amount, description$/),
      expect.stringMatching(/case\.json:1: case \[1\]: unknown field "expct" \(did you mean "expect"\?\); known fields: name, rule, period, rep, expect$/),
    ]);
  });

  it('a case file with a JSON mistake is reported at its line and column (not "at position N"); a byte-order mark is fine', async () => {
    const dir = tempDir();
    const file = join(dir, 'case.json');
    writeFileSync(file, '[{"name": "x",\n "rule": "AE commission FY26"');
    const [broken] = await runCaseFolder(plan, { dir, file }, dir);
    expect(broken.report).toEqual([`case.json:2:30: not valid JSON: Expected ',' or '}' after property value`]);
    writeFileSync(file, '\ufeff[{"name": "bom", "rule": "AE commission FY26", "period": "2026-Q1", "rep": "nobody", "expect": {"total": "0.00"}}]');
    const [bom] = await runCaseFolder(plan, { dir, file }, dir);
    expect(bom.report.join('\n')).not.toContain('not valid JSON');
  });

  it('a failing case names its rule, period and rep (a default name like "x[2]" does not)', async () => {
    const [result] = await runCaseFolder(plan, { dir: casesDir('wrong-total'), file: `${casesDir('wrong-total')}/case.json` }, root);
    expect(result.report[0]).toBe('case: rule "AE commission FY26", period 2026-Q1, rep r1');
  });

  it('a rep that is not in the fixture fails the case, even one expecting no statement; a bad period is named as the period', async () => {
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv']) copyFileSync(join(casesDir('spec-example'), csv), join(dir, csv));
    const file = join(dir, 'case.json');
    const base = { rule: 'AE commission FY26', period: '2026-Q1' };
    // "r9" is a typo for a rep that exists: `expect: null` must not pass as "not selected".
    writeFileSync(file, JSON.stringify([{ ...base, rep: 'r9', expect: null }, { ...base, rep: 'r3', expect: null }, { ...base, rep: 'ada', expect: { total: '0' } }]));
    const [typo, sdr, far] = await runCaseFolder(plan, { dir, file }, dir);
    expect(typo.ok).toBe(false);
    expect(typo.report).toEqual(['case [1]: rule "AE commission FY26", period 2026-Q1, rep r9', 'rep: no rep "r9" in reps.csv; did you mean "r1"?']);
    expect(sdr.ok).toBe(true);
    expect(far.report[1]).toBe('rep: no rep "ada" in reps.csv');
    writeFileSync(file, JSON.stringify({ ...base, period: '2026-Q5', rep: 'r1', expect: null }));
    const [period] = await runCaseFolder(plan, { dir, file }, dir);
    expect(period.report[1]).toMatch(/^period: "2026-Q5" is not a period/);
    writeFileSync(file, JSON.stringify({ ...base, period: '2026-03', rep: 'r1', expect: null }));
    const [kind] = await runCaseFolder(plan, { dir, file }, dir);
    expect(kind.report[1]).toBe('period: incentive "AE commission FY26" is paid per quarter; 2026-03 is a month');
  });

  it('a CSV in a case folder that is not a fixture file (a misnamed rep.csv) fails the cases instead of being left out', async () => {
    const dir = tempDir();
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(dir, 'rep.csv'));
    copyFileSync(join(casesDir('spec-example'), 'deals.csv'), join(dir, 'deals.csv'));
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify({ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r3', expect: null }));
    const [result] = await runCaseFolder(plan, { dir, file }, dir);
    expect(result.ok).toBe(false);
    expect(result.report).toEqual(['rep.csv: not a fixture file; did you mean reps.csv? (fixture files: reps.csv, deals.csv, leads.csv, credits.csv, rates.csv)']);
  });

  it('a field left out of a case is named as missing, with what it should hold (not "expected object, received undefined")', async () => {
    const dir = tempDir();
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify([{ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { total: '1' } }, { rule: 'AE commission FY26', period: '2026-Q1', expect: { lines: [{ amount: '1' }] } }, { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1' }]));
    const [result] = await runCaseFolder(plan, { dir, file }, dir);
    expect(result.report).toEqual([
      `case.json:1: case [2]: missing field "rep" (the rep id from reps.csv)`,
      `case.json:1: case [2].expect.lines[0]: missing field "kind" (commission, bonus, spiff, cap, clawback, draw, recovery or adjustment)`,
      `case.json:1: case [3]: missing field "expect" (the expected statement, or null when the rule must not select this rep)`,
    ]);
  });

  it('each case and each problem of a case file names the line its case starts on', async () => {
    const dir = tempDir();
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(dir, 'reps.csv'));
    const file = join(dir, 'case.json');
    const base = { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1' };
    // Was only "case [3]": in a file of many cases, the author counted objects to find it.
    writeFileSync(file, JSON.stringify([{ ...base, expect: { total: '0' } }, { ...base, name: 'second', expect: { total: '1' } }, { ...base, expect: { capped: 'no' } }], null, 2));
    const [bad] = await runCaseFolder(plan, { dir, file }, dir);
    expect(bad.report).toEqual(['case.json:19: case [3].expect.capped: expected true or false, got "no"']);
    writeFileSync(file, JSON.stringify([{ ...base, expect: { total: '0' } }, { ...base, name: 'second', expect: { total: '1' } }], null, 2));
    const results = await runCaseFolder(plan, { dir, file }, dir);
    expect(results.map((r) => [r.name, r.line, r.ok])).toEqual([[expect.any(String), 2, true], ['second', 10, false]]);
  });

  it('"warnings": [] expects a statement without warnings (the SPEC example warns about its EUR deal D7)', async () => {
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv']) copyFileSync(join(casesDir('spec-example'), csv), join(dir, csv));
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify([
      { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { warnings: [] } },
      { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r4', expect: { warnings: [] } },
    ]));
    const [r1, r4] = await runCaseFolder(plan, { dir, file }, dir);
    expect(r1.ok).toBe(false);
    expect(r1.report[1]).toMatch(/^warnings: expected none, got \[".*D7.*"\]$/);
    expect(r4).toMatchObject({ ok: true, report: [] });
  });

  it('a failing case shows what importing its fixture warned about (a won deal without closed_at counts in no period)', async () => {
    const dir = tempDir();
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(dir, 'reps.csv'));
    writeFileSync(join(dir, 'deals.csv'), 'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nN1,r1,No date,160000,USD,won,Core,new,,,\n');
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify({ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { total: '15500.00' } }));
    const [result] = await runCaseFolder(plan, { dir, file }, dir);
    expect(result.ok).toBe(false);
    expect(result.report).toEqual([
      'case: rule "AE commission FY26", period 2026-Q1, rep r1',
      'total: expected 15500.00, got 0.00',
      'fixture warnings:',
      expect.stringMatching(/^ {2}deals\.csv: .*no closed_at.*N1$/),
    ]);
  });

  it('a fixture naming a rep or deal it does not have says which fixture file lacks it, not "import reps first"', async () => {
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv']) copyFileSync(join(casesDir('spec-example'), csv), join(dir, csv));
    // The runner imports the fixture's reps.csv and deals.csv itself: "(import reps first)" sent
    // the author looking for a command to run.
    writeFileSync(join(dir, 'credits.csv'), 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r9,40,revenue\nD99,r1,100,revenue\n');
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify({ rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { total: '15500.00' } }));
    const [result] = await runCaseFolder(plan, { dir, file }, dir);
    expect(result.report).toEqual([
      'fixture does not import:',
      'credits.csv:3: rep: unknown rep "r9" (not in reps.csv)',
      'credits.csv:4: deal: unknown deal "D99" (not in deals.csv)',
    ]);
  });

  it('the diff writes amounts in the minor digits of the currency (JPY has none), and an expected amount finer than that as written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'yen.rules'), 'incentive "Yen" {\n  for reps where rep.role = "AE"\n  period quarter\n  measure revenue\n  target 1_000_000 JPY\n  commission marginal { up to 100% pay 3% above pay 5% }\n}\n');
    const { plan: yen } = await loadRules([dir]);
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(dir, 'reps.csv'));
    writeFileSync(join(dir, 'deals.csv'), 'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nY1,r1,Yen,1234567,JPY,won,Core,new,,2026-02-01,\n');
    const file = join(dir, 'case.json');
    const base = { rule: 'Yen', period: '2026-Q1', rep: 'r1' };
    writeFileSync(file, JSON.stringify([
      { ...base, expect: { lines: [{ kind: 'commission', amount: '30000' }, { kind: 'commission', amount: '11728.35' }] } },
      { ...base, expect: { lines: [{ kind: 'commission', amount: '30000.001' }, { kind: 'commission', amount: '11728.0' }] } },
    ]));
    const [cents, fine] = await runCaseFolder(yen!, { dir, file }, dir);
    expect(cents.report.slice(1, 5)).toEqual(['lines (- expected, + actual):', '    commission        30000', '  - commission     11728.35', '  + commission        11728']);
    // Was: both sides shown as "30000.00", a failure with no visible difference.
    expect(fine.report.slice(1, 5)).toEqual(['lines (- expected, + actual):', '  - commission    30000.001', '  + commission        30000', '    commission        11728']);
  });

  it('a key written twice in one object fails the case file at the second one (JSON.parse would drop the first unchecked)', async () => {
    const dir = tempDir();
    const file = join(dir, 'case.json');
    writeFileSync(file, '[{"rule": "AE commission FY26", "period": "2026-Q1", "rep": "r1",\n  "expect": {"total": "999", "lines": [], "total": "15500"}}]');
    const [result] = await runCaseFolder(plan, { dir, file }, dir);
    expect(result.report).toEqual([`case.json:2:43: "total" is given twice in one object; JSON keeps only the last, so the first would never be checked`]);
  });

  it('finds keys given twice per object: nested, after arrays, escaped; never a value, nor the same key in two objects', () => {
    expect(duplicateKeys('{"a": "a", "b": {"a": 1, "b": ["a", {"a": 2}]}, "c": [1, 2]}')).toEqual([]);
    expect(duplicateKeys('[{"a": 1}, {"a": 2}]')).toEqual([]);
    expect(duplicateKeys('{"x": [1, {"k": 1}], "\\u0078": 2, "q\\"": 3, "q\\"": 4}')).toEqual([
      { key: 'x', line: 1, col: 22 },
      { key: 'q"', line: 1, col: 45 },
    ]);
  });

  it('a case folder whose case file is misnamed (cases.json) fails, naming the file to rename, instead of being skipped', async () => {
    const dir = tempDir();
    const folder = join(dir, 'tests', 'commission');
    mkdirSync(folder, { recursive: true });
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(folder, 'reps.csv'));
    writeFileSync(join(folder, 'cases.json'), '[]');
    mkdirSync(join(dir, 'tests', 'notes'));
    writeFileSync(join(dir, 'tests', 'notes', 'README.md'), 'not a case');
    const folders = findCaseFolders([dir]);
    expect(folders.map((f) => f.dir)).toEqual([folder]);
    const [result] = await runCaseFolder(plan, folders[0], dir);
    expect(result).toMatchObject({ ok: false, report: ['tests/commission/case.json: no such file: a case folder holds its cases in case.json; did you mean to name cases.json case.json?'] });
    expect(findCaseFolders([`${root}/rules`]).map((f) => f.file)).not.toContain(`${root}/rules/tests/vendor-examples/case.json`);
  });

  it('diffs lists by their longest common run, an expected line before the actual one that replaces it (as docs/testing-rules.md shows)', async () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toEqual(['  a', '- b', '+ x', '  c', '+ d']);
    expect(diffLines(['a', 'b'], [])).toEqual(['- a', '- b']);
    expect(diffLines([], ['a'])).toEqual(['+ a']);
  });
});


describe('proration and credited-deal expectations', () => {
  const enterprise = join(root, 'rules', 'tests', 'enterprise');

  async function enterpriseCases(cases: unknown[]) {
    const { plan: rules } = await loadRules([join(root, 'rules', 'enterprise.rules')]);
    const dir = tempDir();
    for (const csv of ['reps.csv', 'deals.csv', 'credits.csv', 'rates.csv']) copyFileSync(join(enterprise, csv), join(dir, csv));
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify(cases, null, 2));
    return runCaseFolder(rules!, { dir, file }, dir);
  }
  const base = { rule: 'Enterprise AEs FY26', period: '2026-Q1' };

  it('a case asserts the prorated target with its fraction and bounds, or that there is none; a mismatch names its line of case.json', async () => {
    const [right, wrong, unprorated, notExpected] = await enterpriseCases([
      { ...base, rep: 'e6', expect: { proration: { fraction: '45/90', target: '250000', prorated: '125000.00', bounds: ['75000', '125000'] } } },
      { ...base, rep: 'e6', expect: { total: '4500.00', proration: { fraction: '46/90', prorated: '127777.78' } } },
      { ...base, rep: 'e1', expect: { proration: null } },
      { ...base, rep: 'e1', expect: { proration: { prorated: '125000.00' } } },
    ]);
    expect(right).toMatchObject({ ok: true, report: [] });
    expect(wrong.ok).toBe(false);
    expect(wrong.report).toEqual([
      'case [2]: rule "Enterprise AEs FY26", period 2026-Q1, rep e6',
      'case.json:25: proration.fraction: expected 46/90, got 45/90 (days employed ÷ days in the period)',
      'case.json:26: proration.prorated: expected 127777.78, got 125000.00 (45/90 of 250000.00 = 125000.00 USD)',
    ]);
    expect(unprorated).toMatchObject({ ok: true, report: [] });
    expect(notExpected.report).toEqual([
      'case [4]: rule "Enterprise AEs FY26", period 2026-Q1, rep e1',
      expect.stringMatching(/^case\.json:43: proration: expected a prorated target, but e1's target 250000\.00 USD is not prorated/),
    ]);
  });

  it('a case asserts every credited deal with its type, share and credited amount (converted ones in the rule\'s currency); a mismatch is a diff at its line', async () => {
    const [split, converted, wrongShare, none] = await enterpriseCases([
      { ...base, rep: 'e3', expect: { credited: [{ deal: 'S1', type: 'revenue', share: '60%', credited: '120000.00' }] } },
      { ...base, rep: 'e5', expect: { credited: [{ deal: 'F2', type: 'own', share: '100', credited: '12000' }, { deal: 'F1', type: 'own', share: 100, credited: '55000.00' }] } },
      { ...base, rep: 'e4', expect: { credited: [{ deal: 'S1', type: 'revenue', share: '60', credited: '120000.00' }] } },
      { ...base, rep: 'e1', expect: { credited: [] } },
    ]);
    expect(split).toMatchObject({ ok: true, report: [] });
    expect(converted).toMatchObject({ ok: true, report: [] });
    expect(wrongShare.ok).toBe(false);
    expect(wrongShare.report).toEqual([
      'case [3]: rule "Enterprise AEs FY26", period 2026-Q1, rep e4',
      'case.json:43: credited (- expected, + actual; deal, type, share, credited USD):',
      '  - S1   revenue      60%      120000.00',
      '  + S1   revenue      40%       80000.00',
    ]);
    expect(none).toMatchObject({ ok: true, report: [] });
  });

  it('an amount left out, or not a string or number, is named as such (was "Invalid input")', async () => {
    const [bad] = await enterpriseCases([{ ...base, rep: 'e3', expect: { lines: [{ kind: 'spiff' }, { kind: 'commission', amount: true }], credited: [{ deal: 'S1', type: 'revenue', share: '60' }] } }]);
    expect(bad.report).toEqual([
      'case.json:2: case [1].expect.lines[0]: missing field "amount" (a decimal amount like "15500.00")',
      'case.json:2: case [1].expect.lines[1].amount: expected a decimal amount like "15500.00", got true',
      'case.json:2: case [1].expect.credited[0]: missing field "credited" (the amount credited in the rule\'s currency, like "120000.00")',
    ]);
  });

  it('a misspelt credit type or field in a credited expectation is named with the nearest one', async () => {
    const [bad] = await enterpriseCases([{ ...base, rep: 'e3', expect: { credited: [{ deal: 'S1', type: 'revenu', share: '60', credit: '1' }], proration: { prorate: '1' } } }]);
    expect(bad.ok).toBe(false);
    expect(bad.report).toEqual(expect.arrayContaining([
      expect.stringMatching(/case \[1\]\.expect\.credited\[0\]\.type: "revenu" is not a credit type \(did you mean "revenue"\?\)/),
      expect.stringMatching(/case \[1\]\.expect\.credited\[0\]: unknown field "credit" \(did you mean "credited"\?\); known fields: deal, type, share, credited$/),
      expect.stringMatching(/case \[1\]\.expect\.proration: unknown field "prorate" \(did you mean "prorated"\?\); known fields: fraction, target, prorated, bounds$/),
    ]));
  });
});

describe('expected texts match whole words and numbers', () => {
  it('"D7" does not pass on a warning about deal D70, nor "8%" on a line at 18%; whole ones still match', async () => {
    const dir = tempDir();
    copyFileSync(join(casesDir('spec-example'), 'reps.csv'), join(dir, 'reps.csv'));
    writeFileSync(join(dir, 'deals.csv'), 'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nD70,r1,Berlin,5000,EUR,won,Core,new,,2026-02-01,\nU1,r1,Big,100000,USD,won,Core,new,,2026-02-02,\n');
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify([
      { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { warnings: ['D7'], lines: [{ kind: 'commission', amount: '8000', description: '0 USD' }] } },
      { rule: 'AE commission FY26', period: '2026-Q1', rep: 'r1', expect: { warnings: ['D70', 'no currency conversion'], lines: [{ kind: 'commission', amount: '8000', description: '× 8%' }] } },
    ]));
    const [wrong, right] = await runCaseFolder(plan, { dir, file }, dir);
    expect(wrong.ok).toBe(false);
    expect(wrong.report).toEqual([
      'case [1]: rule "AE commission FY26", period 2026-Q1, rep r1',
      expect.stringMatching(/^line 1 \(commission\): description should contain "0 USD", is "marginal: .*"$/),
      expect.stringMatching(/^warnings: none contains "D7"; warnings are \[".*D70.*"\]$/),
    ]);
    expect(right).toMatchObject({ ok: true, report: [] });
  });
});
