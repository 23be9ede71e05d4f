// SPEC §2–§7 through the CLI: the SPEC's own examples check clean, compile to JSON and format
// stably; lexical forms, precedence, type errors and diagnostics behave as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { salesflow, templates, workspace } from './cli.js';
import { specGoal, specIncentive, specMetrics, specSequence, specTemplates } from './spec-examples.js';

const specFiles = {
  'rules/metrics.rules': specMetrics,
  'rules/goal.rules': specGoal,
  'rules/incentive.rules': specIncentive,
  'rules/sequence.rules': specSequence,
  ...templates(specTemplates),
};

interface Diagnostic { file: string; line: number; col: number; endLine: number; endCol: number; severity: string; code: string; message: string }

function checkJson(dir: string, args: string[] = []): { code: number; diagnostics: Diagnostic[] } {
  const r = salesflow(dir, ['check', '--format', 'json', ...args]);
  return { code: r.code, diagnostics: JSON.parse(r.stdout) as Diagnostic[] };
}

/** One rule file plus every template the SPEC examples send. */
function oneFile(text: string): string {
  return workspace({ 'rules/a.rules': text, ...templates(specTemplates) });
}

describe('the SPEC §4/§5 examples, verbatim', () => {
  it('check clean, exit 0', () => {
    const dir = workspace(specFiles);
    const r = checkJson(dir);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('compile prints one JSON plan naming all five rules', () => {
    const dir = workspace(specFiles);
    const r = salesflow(dir, ['compile']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { rules: { name: string; kind: string }[] };
    expect(plan.rules.map((x) => x.name).sort()).toEqual(
      ['AE commission FY26', 'CSAT after close', 'Q4 new business', 'Webinar follow-up', 'Weekly 1:1 prep'],
    );
  });

  it('fmt twice changes nothing and keeps every comment', () => {
    const dir = workspace(specFiles);
    expect(salesflow(dir, ['fmt']).code).toBe(0);
    const once = Object.keys(specFiles).map((p) => readFileSync(join(dir, p), 'utf8'));
    expect(salesflow(dir, ['fmt']).code).toBe(0);
    const twice = Object.keys(specFiles).map((p) => readFileSync(join(dir, p), 'utf8'));
    expect(twice).toEqual(once);
    expect(salesflow(dir, ['fmt', '--check']).code).toBe(0);
    const all = once.join('\n');
    for (const comment of ['# week | month | quarter | year', "# in each rep's time zone", '# or: retroactive',
      '# or: otherwise approve', "# in the recipient's time zone; weekends too with `and weekends`"]) {
      expect(all).toContain(comment);
    }
  });

  it('the same rules written on one line without comments compile to the same plan', () => {
    const oneLine = (s: string): string => s.replace(/#[^\n]*/g, '').split(/\s+/).join(' ').trim();
    const flat = workspace({
      'rules/metrics.rules': oneLine(specMetrics), 'rules/goal.rules': oneLine(specGoal),
      'rules/incentive.rules': oneLine(specIncentive), 'rules/sequence.rules': oneLine(specSequence),
      ...templates(specTemplates),
    });
    const a = JSON.parse(salesflow(workspace(specFiles), ['compile']).stdout) as { hash: string };
    const b = salesflow(flat, ['compile']);
    expect(b.code).toBe(0);
    expect((JSON.parse(b.stdout) as { hash: string }).hash).toBe(a.hash);
  });
});

describe('lexical forms (§2)', () => {
  it('accepts 1_000_000, 2_500.50 EUR, 12.5%, every duration unit singular and plural, and string escapes', () => {
    const dir = oneFile([
      'metric m1 = count(deal) where deal.amount >= 1_000_000 USD or deal.amount < 2_500.50 EUR',
      'incentive "x" { measure revenue target 1_000 USD per quarter commission marginal { up to 12.5% pay 1% above pay 2% } }',
      'sequence "s \\"q\\" \\\\ \\n \\t" { on lead.created where lead.name = "a\\"b\\\\c\\nd\\te" stop on lead.replied',
      '  send "webinar-thanks" to lead wait 1 week wait 2 weeks wait 1 day wait 2 days wait 1 hour wait 4 hours',
      '  wait 1 minute wait 30 minutes wait 1 business day wait 3 business days send "case-study" to lead }',
    ].join('\n'));
    const r = checkJson(dir);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = JSON.parse(salesflow(dir, ['compile']).stdout) as { rules: { name: string }[] };
    expect(plan.rules.map((x) => x.name)).toContain('s "q" \\ \n \t');
  });

  it('an unknown escape is an error', () => {
    const r = checkJson(oneFile('sequence "s" { on lead.created where lead.name = "a\\qb" stop on lead.replied send "webinar-thanks" to lead }'));
    expect(r.code).toBe(1);
    expect(r.diagnostics.some((d) => d.severity === 'error' && d.line === 1)).toBe(true);
  });
});

describe('precedence (§3)', () => {
  it('not binds looser than comparisons, and looser than in / not in; unary minus binds tightest', () => {
    const dir = oneFile('sequence "s" { on deal.won where not deal.product = "A" and deal.type not in ["new"] or deal.source in ["x", "y"] and -deal.amount < -5 USD stop on deal.lost send "csat-survey" to deal.contact }');
    const r = salesflow(dir, ['compile']);
    expect(r.code).toBe(0);
    const where = (JSON.parse(r.stdout) as { rules: { trigger: { where: Record<string, unknown> } }[] }).rules[0]!.trigger.where;
    // or( and(not(product = "A"), type not in ["new"]), and(source in [..], (-amount) < (-5 USD)) )
    expect(where).toMatchObject({
      op: 'or',
      left: { op: 'and', left: { kind: 'not', operand: { op: '=' } }, right: { kind: 'in', negated: true } },
      right: { op: 'and', left: { kind: 'in' }, right: { op: '<', left: { kind: 'neg' }, right: { kind: 'neg' } } },
    });
  });

  it('parentheses regroup: (a or b) and c', () => {
    const dir = oneFile('sequence "s" { on deal.won where (deal.product = "A" or deal.product = "B") and deal.source = "web" stop on deal.lost send "csat-survey" to deal.contact }');
    const r = salesflow(dir, ['compile']);
    expect(r.code).toBe(0);
    const where = (JSON.parse(r.stdout) as { rules: { trigger: { where: unknown } }[] }).rules[0]!.trigger.where;
    expect(where).toMatchObject({ op: 'and', left: { op: 'or' } });
  });
});

describe('type errors, unknown names, templates, schedules (§3, §6, §7)', () => {
  const bad = [
    'incentive "i" { measure revenue target 100 USD per quarter commission marginal { above pay 1% }',
    'bonus 1 USD when revenue + 5 EUR > 1 USD', // line 2: currencies differ
    'bonus 2 USD when attainment > 5', // line 3: percent vs number
    'bonus 3 USD when revenue * revenue > 1 USD', // line 4: money × money
    'bonus 4 USD when revenu > 1 USD', // line 5: unknown name, did you mean revenue
    'bonus 5 USD when rep.tem = "x"', // line 6: unknown field, did you mean team
    'approve by rep.manager within 5 days { otherwise reject } }',
    'goal "g" { measure revenue target 5 USD per month', // line 8
    'every monday at 25:00 { send "goal-chekin" to rep } }', // line 9: bad time, unknown template
  ].join('\n');

  it('reports every error of the run with 1-based positions and a did-you-mean', () => {
    const r = checkJson(oneFile(bad));
    expect(r.code).toBe(1);
    const errorLines = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.line);
    for (const line of [2, 3, 4, 5, 6, 9]) expect(errorLines).toContain(line);
    expect(r.diagnostics.filter((d) => d.line === 9).length).toBeGreaterThanOrEqual(2);
    const at = (line: number): Diagnostic => r.diagnostics.find((d) => d.line === line)!;
    expect(at(5).message).toMatch(/did you mean revenue/);
    expect(at(6).message).toMatch(/did you mean rep\.team/);
    expect(at(5).col).toBe(18); // `revenu` starts at column 18 of "bonus 4 USD when revenu"
    expect(at(5).endCol).toBe(24);
    expect(r.diagnostics.some((d) => d.line === 9 && /goal-checkin/.test(d.message))).toBe(true);
  });

  it('--format json has exactly the SPEC keys', () => {
    const r = checkJson(oneFile(bad));
    for (const d of r.diagnostics) {
      expect(Object.keys(d).sort()).toEqual(['code', 'col', 'endCol', 'endLine', 'file', 'line', 'message', 'severity']);
      expect(['error', 'warning']).toContain(d.severity);
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.col).toBeGreaterThanOrEqual(1);
    }
  });

  it('errors in several files are all reported', () => {
    const dir = workspace({
      'rules/a.rules': 'goal "g" { measure revenu target 5 USD per month at end of period { send "goal-review" to rep } }\n',
      'rules/b.rules': 'metric m = count(deal) where deal.stag = "won"\n\nsequence "s" { on lead.create stop on lead.replied send "nope" to lead }\n',
      ...templates(specTemplates),
    });
    const r = checkJson(dir);
    expect(r.code).toBe(1);
    const files = new Set(r.diagnostics.map((d) => d.file.replace(/\\/g, '/')));
    expect([...files].some((f) => f.endsWith('a.rules'))).toBe(true);
    expect(r.diagnostics.filter((d) => d.file.endsWith('b.rules')).length).toBe(3);
  });

  it('the text format is path:line:col: error: message with the source line and a caret', () => {
    const dir = oneFile('goal "g" { measure revenu target 5 USD per month at end of period { send "goal-review" to rep } }\n');
    const r = salesflow(dir, ['check']);
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/rules\/a\.rules:1:20: error: .*revenu/);
    expect(text).toContain('goal "g" { measure revenu');
    expect(text).toMatch(/\n\s*\^~+/);
    expect(text).toMatch(/did you mean revenue/);
  });

  it('an unknown placeholder in a template is a check-time error located in the template', () => {
    const dir = workspace({
      'rules/a.rules': 'sequence "s" { on lead.created stop on lead.replied send "ph" to lead }\n',
      'rules/templates/ph.md': '---\nsubject: Hi {{lead.name}}\n---\nHello {{lead.nmae}}\n',
    });
    const r = checkJson(dir);
    expect(r.code).toBe(1);
    const d = r.diagnostics.find((x) => x.file.endsWith('ph.md'));
    expect(d).toMatchObject({ severity: 'error', line: 4 });
    expect(d!.message).toMatch(/lead\.nmae/);
  });

  it('settings, quiet hours with weekends and every recipient form check clean', () => {
    const r = checkJson(oneFile([
      'settings { timezone "Europe/Berlin" currency EUR from "Sales Ops <ops@acme.example>" }',
      'sequence "s" { on lead.created stop on lead.replied quiet hours 20:00 to 08:00 and weekends',
      '  send "webinar-thanks" to lead, lead.email, lead.owner, "x@y.example" }',
    ].join('\n')));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('a field that is neither an email nor a rep id cannot be a recipient', () => {
    const r = checkJson(oneFile('sequence "s" { on lead.created stop on lead.replied send "webinar-thanks" to lead.company }'));
    expect(r.code).toBe(1);
  });
});
