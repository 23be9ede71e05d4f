// The built command line, as CI runs it: exit codes, text and JSON diagnostics, fmt --check.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers.js';

const bin = join(root, 'bin', 'salesflow.js');

function salesflow(args: string[], cwd = root) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-dsl-'));
  cpSync(join(root, 'rules'), join(dir, 'rules'), { recursive: true, filter: (src) => !src.includes(`${join('rules', 'tests')}`) });
  return dir;
}

beforeAll(() => {
  // bin/salesflow.js runs dist/, which `npm test` builds first (pretest). Not rebuilt here: other
  // test files run the built CLI at the same time, and a rebuild rewrites the files they load.
  expect(readFileSync(join(root, 'dist', 'cli', 'commands', 'check.js'), 'utf8'), 'run `npm run build` first').toContain('checkRules');
});

describe('salesflow check', () => {
  it('exits 0 on the example rules', () => {
    const r = salesflow(['check', 'rules/']);
    expect(r.stderr).toContain('0 errors');
    expect(r.code).toBe(0);
  });

  it('exits 1 with path:line:col, the source line, a caret and a suggestion', () => {
    const dir = workspace();
    writeFileSync(join(dir, 'rules', 'bad.rules'), 'goal "Bad" {\n  measure revenu\n  target 1 EUR per week\n}\n');
    const r = salesflow(['check', 'rules'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rules/bad.rules:2:11: error: unknown metric "revenu" [SF2003]\n    measure revenu\n            ^~~~~~\n  did you mean revenue?');
  });

  it('prints JSON diagnostics with the documented shape', () => {
    const dir = workspace();
    writeFileSync(join(dir, 'rules', 'bad.rules'), 'sequence "S" {\n  on lead.creatd\n  send "webinar-thanks" to lead\n}\n');
    const r = salesflow(['check', '--format', 'json', 'rules'], dir);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Object.keys(row)).toEqual(['file', 'line', 'col', 'endLine', 'endCol', 'severity', 'code', 'message']);
    expect(rows).toContainEqual({
      file: 'rules/bad.rules', line: 2, col: 6, endLine: 2, endCol: 17, severity: 'error', code: 'SF2004',
      message: 'unknown event "lead.creatd"; did you mean lead.created?',
    });
  });

  it('reads a template named on the command line as a template, not as rules', () => {
    // Was every line of the template an error ("expected a declaration ... but found '-'").
    const dir = workspace();
    expect(salesflow(['check', 'rules/templates/case-study.md'], dir)).toMatchObject({ code: 0, stdout: '' });
    writeFileSync(join(dir, 'rules', 'templates', 'x.md'), '---\nsubject: Hi\n---\nHi {{lead.nme}}\n');
    writeFileSync(join(dir, 'rules', 'x.rules'), 'sequence "X" {\n  on lead.created\n  stop on lead.replied\n  send "x" to lead\n}\n');
    const r = salesflow(['check', '--format', 'json', 'rules/x.rules', 'rules/templates/x.md'], dir);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { file: string; line: number; col: number; code: string }[]).map((d) => [d.file, d.line, d.col, d.code]))
      .toEqual([['rules/templates/x.md', 4, 4, 'SF4003']]);
  });

  it('prints an empty JSON array when clean', () => {
    const r = salesflow(['check', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('reports a path that does not exist', () => {
    const r = salesflow(['check', 'no-such-folder']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no-such-folder:1:1: error: no such file or folder: no-such-folder [SF1000]');
  });

  it('a rule file in a subfolder, checked alone (a pre-commit hook), uses rules/templates as `check rules` does', () => {
    const dir = workspace();
    mkdirSync(join(dir, 'rules', 'emea'));
    writeFileSync(join(dir, 'rules', 'emea', 'g.rules'), 'goal "EMEA review" {\n  measure revenue\n  target 5 EUR per month\n  at end of period { send "goal-review" to rep }\n}\n');
    expect(salesflow(['check', 'rules'], dir).code).toBe(0);
    // Was: unknown template "goal-review" (no rules/emea/templates/goal-review.md).
    for (const path of ['rules/emea/g.rules', 'rules/emea']) expect(salesflow(['check', path], dir)).toMatchObject({ code: 0, stdout: '' });
    writeFileSync(join(dir, 'rules', 'emea', 'g.rules'), 'goal "EMEA review" {\n  measure revenue\n  target 5 EUR per month\n  at end of period { send "goal-reviw" to rep }\n}\n');
    expect(salesflow(['check', 'rules/emea/g.rules'], dir).stdout).toContain('unknown template "goal-reviw" (no rules/templates/goal-reviw.md)');
  });

  it('the rules subfolder of a git checkout, named from another folder (CI running apply from elsewhere), finds rules/templates too', () => {
    const dir = workspace();
    const elsewhere = mkdtempSync(join(tmpdir(), 'salesflow-dsl-elsewhere-'));
    mkdirSync(join(dir, 'rules', 'emea'));
    writeFileSync(join(dir, 'rules', 'emea', 'g.rules'), 'goal "EMEA review" {\n  measure revenue\n  target 5 EUR per month\n  at end of period { send "goal-review" to rep }\n}\n');
    // Outside any checkout, the search stays in the rules' own folder: as before, unknown there.
    expect(salesflow(['check', join(dir, 'rules', 'emea')], elsewhere).stdout).toContain('unknown template "goal-review"');
    expect(spawnSync('git', ['init', '-q'], { cwd: dir }).status).toBe(0);
    // Was: unknown template "goal-review" (no …/rules/emea/templates/goal-review.md), though the
    // same command inside the checkout found rules/templates.
    for (const path of [join(dir, 'rules', 'emea'), join(dir, 'rules', 'emea', 'g.rules')]) {
      expect(salesflow(['check', path], elsewhere)).toMatchObject({ code: 0, stdout: '' });
    }
    // The same plan as from inside the checkout.
    const hash = (cwd: string, path: string) => (JSON.parse(salesflow(['compile', path], cwd).stdout) as { hash: string }).hash;
    expect(hash(elsewhere, join(dir, 'rules', 'emea'))).toBe(hash(dir, 'rules/emea'));
    rmSync(elsewhere, { recursive: true, force: true });
  });
});

describe('a rules folder with symbolic links', () => {
  // Was: a linked rule file was skipped without a word (apply then removed its schedules), a link
  // to nothing too, and a dangling template link or a folder named x.md crashed with a stack trace.
  it('reads linked files and folders once each, ends a link loop, and reports a link to nothing at the link', () => {
    const dir = workspace();
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'linked.rules'), 'goal "Linked" {\n  measure revenue\n  target 5 EUR per month\n  at end of period { send "goal-reviw" to rep }\n}\n');
    symlinkSync(join('..', 'shared', 'linked.rules'), join(dir, 'rules', 'linked.rules'));
    symlinkSync(join('..', 'shared'), join(dir, 'rules', 'shared-dir'));
    symlinkSync('.', join(dir, 'rules', 'loop'));
    symlinkSync(join(dir, 'nowhere.rules'), join(dir, 'rules', 'gone.rules'));
    symlinkSync(join(dir, 'nowhere.md'), join(dir, 'rules', 'templates', 'gone.md'));
    mkdirSync(join(dir, 'rules', 'templates', 'folder.md'));
    writeFileSync(join(dir, 'rules', 'notes.txt'), 'not a rule file');
    const r = salesflow(['check', '--format', 'json', 'rules'], dir);
    expect(r.code).toBe(1);
    const found = (JSON.parse(r.stdout) as { file: string; code: string; message: string }[]).map((d) => [d.file, d.code, d.message]);
    expect(found).toEqual([
      ['rules/gone.rules', 'SF1000', `no such file or folder: rules/gone.rules (a symbolic link to ${join(dir, 'nowhere.rules')})`],
      ['rules/linked.rules', 'SF4001', 'unknown template "goal-reviw" (no rules/templates/goal-reviw.md); did you mean goal-review?'],
      ['rules/templates/gone.md', 'SF1000', `no such file or folder: rules/templates/gone.md (a symbolic link to ${join(dir, 'nowhere.md')})`],
    ]);
    rmSync(join(dir, 'rules', 'gone.rules'));
    rmSync(join(dir, 'rules', 'templates', 'gone.md'));
    writeFileSync(join(dir, 'shared', 'linked.rules'), 'goal "Linked" {\n  measure revenue\n  target 5 EUR per month\n  at end of period {\n    send "goal-review" to rep\n  }\n}\n');
    const plan = salesflow(['compile', 'rules'], dir);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { rules: { name: string }[] }).rules.filter((rule) => rule.name === 'Linked')).toHaveLength(1);
  });
});

describe('salesflow compile', () => {
  it('prints the same plan JSON on two runs', () => {
    const a = salesflow(['compile', 'rules']);
    const b = salesflow(['compile', 'rules']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).rules.length).toBe(12);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain(root);
  });
});

describe('salesflow compile mistakes', () => {
  it('an --out path it cannot write, or an unknown --format, is a message and exit 1 (not a stack trace)', () => {
    const dir = workspace();
    const out = salesflow(['compile', '--out', join(dir, 'no-such-folder', 'plan.json'), 'rules'], dir);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`salesflow compile: cannot write ${join(dir, 'no-such-folder', 'plan.json')}: its folder does not exist\n`);
    const format = salesflow(['compile', '--format', 'yaml', 'rules'], dir);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('salesflow compile: --format must be text or json, not "yaml"');
    expect(format.stdout).toBe('');
  });
});

describe('salesflow fmt', () => {
  it('--check lists unformatted files and exits 1; fmt rewrites them; then --check passes', () => {
    const dir = workspace();
    const file = join(dir, 'rules', 'messy.rules');
    writeFileSync(file, 'sequence "M" {   on deal.won   # after close\nsend "csat-survey" to deal.contact }\n');
    const check = salesflow(['fmt', '--check', 'rules'], dir);
    expect(check.code).toBe(1);
    expect(check.stdout).toBe('rules/messy.rules\n');
    expect(salesflow(['fmt', 'rules'], dir).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('sequence "M" {\n  on deal.won # after close\n  send "csat-survey" to deal.contact\n}\n');
    expect(salesflow(['fmt', '--check', 'rules'], dir).code).toBe(0);
  });
});

describe('rule files saved with a UTF-8 byte-order mark (Windows editors)', () => {
  const bomRule = '\ufeff# saved by Notepad\r\nsequence "M" {\r\n  on deal.won\r\n  stop on deal.lost\r\n  send "csat-survey" to deal.contact\r\n}\r\n';

  it('check reads them like any other file, with columns counted from the first real character', () => {
    const dir = workspace();
    writeFileSync(join(dir, 'rules', 'bom.rules'), bomRule);
    const clean = salesflow(['check', 'rules'], dir);
    expect(clean.stdout).not.toContain('unexpected character');
    expect(clean.code).toBe(0);
    writeFileSync(join(dir, 'rules', 'bom.rules'), '\ufeffgoal "Bad" {\n  measure revenu\n  target 1 EUR per week\n}\n');
    const bad = salesflow(['check', '--format', 'json', 'rules'], dir);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual([
      expect.objectContaining({ file: 'rules/bom.rules', line: 1, col: 6, code: 'SF2106' }),
      expect.objectContaining({ file: 'rules/bom.rules', line: 2, col: 11, code: 'SF2003' }),
    ]);
  });

  it('fmt formats them and keeps the mark; --check then passes', () => {
    const dir = workspace();
    const file = join(dir, 'rules', 'bom.rules');
    writeFileSync(file, bomRule);
    expect(salesflow(['fmt', 'rules'], dir).code).toBe(0);
    // Canonical already, in CRLF as Notepad saved it: left as it is (line ends are the file's own).
    expect(readFileSync(file, 'utf8')).toBe(bomRule);
    expect(salesflow(['fmt', '--check', 'rules'], dir).code).toBe(0);
  });
});

describe('output into a pipe that closes early', () => {
  it('salesflow test | head -1 stops quietly with 141 (SIGPIPE), no EPIPE stack trace', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" test rules | head -1; echo "salesflow exit \${PIPESTATUS[0]}" >&2`], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).toContain('salesflow exit 141');
  });
});

describe('help', () => {
  it('every command answers --help with its usage and exit 0; `salesflow help CMD` is the same', () => {
    for (const command of ['check', 'fmt', 'compile', 'plan', 'apply', 'status', 'history', 'simulate', 'backtest', 'worker', 'serve', 'dev', 'events', 'import', 'payouts', 'test']) {
      const direct = salesflow([command, '--help']);
      expect(direct.code, command).toBe(0);
      expect(direct.stdout, command).toMatch(new RegExp(`^usage: salesflow ${command}`));
      expect(salesflow(['help', command]).stdout, command).toBe(direct.stdout);
    }
    // The command list names every kind `import` takes (README), credit shares and rates too.
    expect(salesflow(['--help']).stdout).toMatch(/^ {2}import +import --kind reps\|deals\|leads\|credits\|rates FILE\.csv, or --source CRM FILE\.csv/m);
    const unknown = salesflow(['help', 'deploy']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('salesflow: unknown command "deploy"');
    // Names every JavaScript object has are unknown commands too (they were a TypeError and a stack trace).
    for (const name of ['constructor', 'toString', '__proto__']) {
      for (const args of [[name], ['help', name]]) {
        const run = salesflow(args);
        expect(run.code, args.join(' ')).toBe(1);
        expect(run.stderr, args.join(' ')).toContain(`salesflow: unknown command "${name}"`);
      }
    }
  });
});
