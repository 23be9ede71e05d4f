// `salesflow fmt`: canonical layout, idempotent, comments kept, meaning unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJsonPretty, formatSource } from '../../src/dsl/index.js';
import { compile, root } from './helpers.js';

const examples = [
  ...readdirSync(join(root, 'rules')).filter((f) => f.endsWith('.rules')).map((f) => join(root, 'rules', f)),
  join(root, 'tests', 'dsl', 'fixtures', 'spec', 'spec.rules'),
];

describe('formatter', () => {
  it.each(examples)('is idempotent on %s', (file) => {
    const text = readFileSync(file, 'utf8');
    const once = formatSource(text, 'x.rules').formatted!;
    expect(once).not.toBeNull();
    expect(formatSource(once, 'x.rules').formatted).toBe(once);
  });

  it('leaves the example rules in rules/ unchanged (they are already canonical)', () => {
    for (const file of examples.filter((f) => f.includes(`${join(root, 'rules')}`))) {
      const text = readFileSync(file, 'utf8');
      expect(formatSource(text, 'x.rules').formatted, file).toBe(text);
    }
  });

  it('writes a one-digit hour as the SPEC does (09:00), meaning the same', async () => {
    // Was kept as written: `at 9:00` and `at 09:00` are one time, so `fmt` had two canonical forms.
    const text = 'goal "g" {\n  measure revenue\n  target 5 EUR per week\n  every monday at 9:00 { send "goal-checkin" to rep }\n}\n\nsequence "s" {\n  on lead.created\n  stop on lead.replied\n  quiet hours 8:00 to 7:30\n  send "case-study" to lead\n}\n';
    const formatted = formatSource(text, 'x.rules').formatted!;
    expect(formatted).toContain('  every monday at 09:00 {\n');
    expect(formatted).toContain('  quiet hours 08:00 to 07:30\n');
    expect((await compile(formatted)).plan!.hash).toBe((await compile(text)).plan!.hash);
  });

  it('normalizes layout and keeps own-line and trailing comments', () => {
    const messy = [
      '# header comment',
      'settings { timezone "UTC"   currency EUR }',
      'goal "G" {   measure revenue   target   1_000   EUR per month # trailing',
      '  # before the check-in',
      'every monday,thursday at 09:00 { send "goal-checkin" to rep,rep.manager }',
      '',
      '',
      '  at end of period when attainment<50%and deals_won>=2 {',
      '      send "goal-review" to rep',
      '      # last inside',
      '  } # after block',
      '}',
    ].join('\n');
    const formatted = formatSource(messy, 'x.rules').formatted;
    expect(formatted).toBe([
      '# header comment',
      'settings {',
      '  timezone "UTC"',
      '  currency EUR',
      '}',
      '',
      'goal "G" {',
      '  measure revenue',
      '  target 1_000 EUR per month # trailing',
      '  # before the check-in',
      '  every monday, thursday at 09:00 {',
      '    send "goal-checkin" to rep, rep.manager',
      '  }',
      '',
      '  at end of period when attainment < 50% and deals_won >= 2 {',
      '    send "goal-review" to rep',
      '    # last inside',
      '  } # after block',
      '}',
      '',
    ].join('\n'));
  });

  it('keeps comments at the end of continuation lines on their lines, idempotently', () => {
    const text = [
      'metric big = count(deal) # m0',
      '    where deal.stage="won" # m1',
      '  and deal.amount >= 50_000   EUR # m2',
      'metric plain = count(deal)',
      '  where deal.stage = "won"',
      '',
      'goal "g" {',
      '  measure revenue',
      '  target 1000 EUR per quarter',
      '  for reps where rep.team = "a" # f1',
      '      # own line inside',
      '   or rep.team = "b"',
      '  at end of period when attainment < 50% # h1',
      '    and deals_won >= 2 {',
      '    send "goal-review" to rep, # s1',
      '      rep.manager',
      '  }',
      '}',
      '',
    ].join('\n');
    const formatted = formatSource(text, 'x.rules').formatted!;
    expect(formatted).toBe([
      'metric big = count(deal) # m0',
      '  where deal.stage = "won" # m1',
      '  and deal.amount >= 50_000 EUR # m2',
      'metric plain = count(deal) where deal.stage = "won"',
      '',
      'goal "g" {',
      '  measure revenue',
      '  target 1000 EUR per quarter',
      '  for reps where rep.team = "a" # f1',
      '    # own line inside',
      '    or rep.team = "b"',
      '  at end of period when attainment < 50% # h1',
      '    and deals_won >= 2 {',
      '    send "goal-review" to rep, # s1',
      '      rep.manager',
      '  }',
      '}',
      '',
    ].join('\n'));
    expect(formatSource(formatted, 'x.rules').formatted).toBe(formatted);
  });

  it('puts a check-in\'s `{` that a comment pushed onto its own line level with its `}`, above a body one level deeper', () => {
    const text = [
      'goal "g" {',
      '  measure revenue',
      '  target 1000 EUR per week',
      '  every monday,thursday at 09:00 when attainment < 50% and',
      '    deals_won < 2 # before the brace',
      '  { send "goal-checkin" to rep }',
      '}',
      '',
    ].join('\n');
    const formatted = formatSource(text, 'x.rules').formatted!;
    expect(formatted).toBe([
      'goal "g" {',
      '  measure revenue',
      '  target 1000 EUR per week',
      '  every monday, thursday at 09:00 when attainment < 50% and',
      '    deals_won < 2 # before the brace',
      '  {',
      '    send "goal-checkin" to rep',
      '  }',
      '}',
      '',
    ].join('\n'));
    expect(formatSource(formatted, 'x.rules').formatted).toBe(formatted);
  });

  it('formats if / else if / else chains and keeps parentheses', () => {
    const text = 'sequence "S" {\n on lead.created\n stop on lead.replied\n if (lead.score>5 or lead.score<1) and lead.source="x" { send "book-a-call" to lead } else if lead.score > 2 { send "case-study" to lead } else { wait 2 days\n send "newsletter-invite" to lead }\n}\n';
    const formatted = formatSource(text, 'x.rules').formatted!;
    expect(formatted).toContain('  if (lead.score > 5 or lead.score < 1) and lead.source = "x" {\n');
    expect(formatted).toContain('  } else if lead.score > 2 {\n    send "case-study" to lead\n  } else {\n    wait 2 days\n');
    expect(formatSource(formatted, 'x.rules').formatted).toBe(formatted);
  });

  it('keeps the comments of an else where they were: after `else {` on its line, before the first `}` in the first block', () => {
    const text = [
      'sequence "S" {', '  on lead.created', '  stop on lead.replied',
      '  if lead.score > 5 {', '    send "book-a-call" to lead', '    # end of the hot branch', '  } else { # everyone else', '    send "case-study" to lead', '  }',
      '  if lead.score > 5 { send "book-a-call" to lead } # after the hot branch',
      '  else if lead.score > 2 { # warm', '    send "case-study" to lead', '  }',
      '}', '',
    ].join('\n');
    const formatted = formatSource(text, 'x.rules').formatted!;
    // Was: every comment up to the else branch's first statement went inside the first branch.
    expect(formatted).toContain('    # end of the hot branch\n  } else { # everyone else\n    send "case-study" to lead\n');
    expect(formatted).toContain('    send "book-a-call" to lead\n  } # after the hot branch\n  else if lead.score > 2 { # warm\n');
    expect(formatSource(formatted, 'x.rules').formatted).toBe(formatted);
  });

  it('keeps a comment written on an `else if` or `else` line before its `{` on that line, with no blank lines added', () => {
    const text = [
      'sequence "S" {', '  on lead.created', '  stop on lead.replied',
      '  if lead.score > 5 # hot', '  {', '    send "book-a-call" to lead',
      '  }', '  else if lead.score > 2 # warm', '  {', '    send "case-study" to lead',
      '  } else # cold', '  {', '    send "newsletter-invite" to lead', '  }',
      '}', '',
    ].join('\n');
    const formatted = formatSource(text, 'x.rules').formatted!;
    // Was: `} else if lead.score > 2 {` after a blank line, then `# warm` moved into the block
    // followed by another blank line; `# cold` likewise.
    expect(formatted).toBe([
      'sequence "S" {', '  on lead.created', '  stop on lead.replied',
      '  if lead.score > 5 # hot', '  {', '    send "book-a-call" to lead',
      '  } else if lead.score > 2 # warm', '  {', '    send "case-study" to lead',
      '  } else # cold', '  {', '    send "newsletter-invite" to lead', '  }',
      '}', '',
    ].join('\n'));
    expect(formatSource(formatted, 'x.rules').formatted).toBe(formatted);
    // Was: `}` on the line above `else if` gave a blank line before `} else if`, comment or none.
    const plain = 'sequence "S" {\n  on lead.created\n  stop on lead.replied\n  if lead.score > 5 {\n    send "book-a-call" to lead\n  }\n  else if lead.score > 2 {\n    send "case-study" to lead\n  }\n}\n';
    expect(formatSource(plain, 'x.rules').formatted).toContain('    send "book-a-call" to lead\n  } else if lead.score > 2 {\n');
  });

  it('keeps CRLF line ends in a file written with them, so a canonical CRLF file is left as it is', () => {
    // Was: every line rewritten with LF (a whole-file diff in the pull request), and `fmt --check`
    // listed a canonical CRLF file as unformatted.
    const canonical = 'sequence "S" {\r\n  on lead.created # new leads\r\n  stop on lead.replied\r\n  send "case-study" to lead\r\n}\r\n';
    expect(formatSource(canonical, 'x.rules').formatted).toBe(canonical);
    const messy = 'sequence "S" {\r\n on lead.created   # new leads\r\n\tstop on lead.replied\r\n  send "case-study" to lead }\r\n';
    expect(formatSource(messy, 'x.rules').formatted).toBe(canonical);
    expect(formatSource('\ufeff' + messy, 'x.rules').formatted).toBe('\ufeff' + canonical);
  });

  it('does not change the compiled plan', async () => {
    const text = readFileSync(join(root, 'tests', 'dsl', 'fixtures', 'spec', 'spec.rules'), 'utf8');
    const before = await compile(text);
    const after = await compile(formatSource(text, 'test.rules').formatted!);
    // Line numbers move (settings become a block), so compare without them.
    const noLines = (plan: unknown) => canonicalJsonPretty(plan).replace(/"line": \d+/g, '"line": 0');
    expect(before.plan).not.toBeNull();
    expect(noLines(after.plan)).toBe(noLines(before.plan));
  });

  it('refuses to format a file with syntax errors and says why', () => {
    const result = formatSource('goal "G" {\n  measure\n}\n', 'x.rules');
    expect(result.formatted).toBeNull();
    expect(result.diagnostics[0]).toMatchObject({ code: 'SF1101', line: 2, col: 10, message: "expected a name but found '}'" });
  });

  it('keeps every comment of every example', () => {
    for (const file of examples) {
      const text = readFileSync(file, 'utf8');
      const comments = (s: string) => s.split('\n').map((l) => /#.*$/.exec(l)?.[0].trimEnd()).filter(Boolean);
      expect(comments(formatSource(text, 'x.rules').formatted!)).toEqual(comments(text));
    }
  });
});
