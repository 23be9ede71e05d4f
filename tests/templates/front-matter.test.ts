// Template front matter read as the YAML it looks like: quotes are YAML's, not part of the subject;
// unquoted values stay the text authors wrote; a malformed header is a problem at its line.
import { describe, expect, it } from 'vitest';
import { compileSources } from '../../src/dsl/index.js';
import { parseTemplate, renderTemplate } from '../../src/templates/index.js';

const subjectOf = (text: string) => parseTemplate('t', text).template.subject;

describe('front matter values', () => {
  it('double-quoted, single-quoted and plain subjects all give the text an email shows', () => {
    expect(subjectOf('---\nsubject: "Check-in: {{goal.name}}"\n---\nBody\n')).toBe('Check-in: {{goal.name}}');
    expect(subjectOf("---\nsubject: 'It''s {{rep.name}}'\n---\nBody\n")).toBe("It's {{rep.name}}");
    expect(subjectOf('---\nsubject: "Tab\\there \\"quoted\\""\n---\nBody\n')).toBe('Tab\there "quoted"');
    expect(subjectOf('---\nsubject: Plain {{lead.name}}\n---\nBody\n')).toBe('Plain {{lead.name}}');
    expect(subjectOf('subject: "Bare, no fences"\nBody\n')).toBe('Bare, no fences');
  });

  it('an unquoted value is the text to the end of the line, as written: colons, # and a leading {{ included', () => {
    expect(subjectOf('---\nsubject: {{goal.name}}: {{progress.attainment}} of target\n---\n')).toBe('{{goal.name}}: {{progress.attainment}} of target');
    expect(subjectOf('---\nsubject: Re: invoice #42, {{lead.name}}\n---\n')).toBe('Re: invoice #42, {{lead.name}}');
    expect(subjectOf("---\nsubject: Don't miss it\n---\n")).toBe("Don't miss it");
  });

  it('a folded block subject joins its lines', () => {
    expect(subjectOf('---\nsubject: >-\n  Your {{goal.name}}\n  check-in\n---\nBody\n')).toBe('Your {{goal.name}} check-in');
  });

  it('the rendered subject carries no quotes', () => {
    const { template } = parseTemplate('t', '---\nsubject: "Check-in: {{goal.name}}"\n---\nHi\n');
    expect(renderTemplate(template, { goal: { name: 'Weekly bookings for Tevita' } }).subject).toBe('Check-in: Weekly bookings for Tevita');
  });
});

describe('placeholders in the subject', () => {
  it('are found inside quotes, at their column in the file', () => {
    const { uses, template } = parseTemplate('t', '---\nsubject: "Check-in: {{goal.name}}"\n---\nBody\n');
    expect(uses).toEqual([{ path: 'goal.name', line: 2, col: 21, endCol: 34 }]);
    expect(template.placeholders).toEqual(['goal.name']);
  });

  it('are found on the lines of a folded subject, and malformed ones are reported there', () => {
    const { uses, problems } = parseTemplate('t', '---\nsubject: >-\n  Hi {{lead.name}}\n  from {{Rep.Name}}\n---\nBody\n');
    expect(uses).toEqual([{ path: 'lead.name', line: 3, col: 6, endCol: 19 }]);
    expect(problems).toEqual([{ kind: 'badPlaceholder', text: '{{Rep.Name}}', line: 4, col: 8, endCol: 20, fix: '{{rep.name}}' }]);
  });
});

describe('malformed front matter', () => {
  const problemsOf = (text: string) => parseTemplate('t', text).problems;

  it('an unclosed quote is reported on its line, and no subject error is piled on top', () => {
    expect(problemsOf('---\nsubject: "Unclosed {{lead.name}}\n---\nBody\n')).toEqual([
      { kind: 'badFrontMatter', message: 'Missing closing "quote', line: 2, col: 10, endCol: 33 },
    ]);
    // YAML would point at the end of the front matter; the quote that opens is on line 2.
    expect(problemsOf("---\nsubject: 'Hi\nother: x\n---\nBody\n")).toMatchObject([{ kind: 'badFrontMatter', line: 2, col: 10 }]);
  });

  it('a key given twice, a line without `key:`, text after a closing quote, a list for the subject', () => {
    expect(problemsOf('---\nsubject: Hi\nsubject: Again\n---\n')).toMatchObject([{ kind: 'badFrontMatter', message: 'Map keys must be unique', line: 3 }]);
    expect(problemsOf('---\nsubject Hi there\n---\n')).toMatchObject([{ kind: 'badFrontMatter', line: 2, message: expect.stringContaining('key: value') }]);
    expect(problemsOf('---\nsubject: "Hi" there\n---\n')).toMatchObject([{ kind: 'badFrontMatter', line: 2 }]);
    expect(problemsOf('---\nsubject:\n  - a\n---\n')).toMatchObject([{ kind: 'badFrontMatter', message: '`subject` must be text', line: 3 }]);
  });

  it('bad indentation is one problem at its line, not a cascade', () => {
    expect(problemsOf('---\nsubject: x\n  from: y\n---\n')).toMatchObject([{ kind: 'badFrontMatter', line: 3 }]);
  });

  it('an unknown key is reported with its position; the subject still counts', () => {
    const { problems, template } = parseTemplate('t', '---\nsubject: Hi\nreply_to: ops@acme.example\n---\n');
    expect(problems).toEqual([{ kind: 'unknownFrontMatterKey', key: 'reply_to', line: 3, col: 1, endCol: 9 }]);
    expect(template.subject).toBe('Hi');
  });
});

describe('through the checker', () => {
  const rules = [{ path: 'rules/a.rules', text: 'sequence "s" {\n  on lead.created\n  stop on lead.replied\n  send "t" to lead\n}\n' }];
  const check = (text: string) => compileSources({ rules, templates: [{ path: 'rules/templates/t.md', text }] });

  it('a malformed header is an error at its line and column; a misspelt key a warning with did-you-mean', async () => {
    const bad = await check('---\nsubject: "Hi {{lead.name}}\n---\nBody\n');
    expect(bad.plan).toBeNull();
    expect(bad.diagnostics).toMatchObject([
      { file: 'rules/templates/t.md', line: 2, severity: 'error', code: 'SF4007', message: 'template front matter is not valid YAML: Missing closing "quote' },
    ]);
    // The subject misspelt is one error at the key (it was SF4002 at `---` and SF4008 besides).
    const typo = await check('---\nsubjet: Hi\n---\nBody\n');
    expect(typo.diagnostics.map((d) => [d.code, d.severity, d.line, d.col, d.endCol, d.suggestion])).toEqual([['SF4002', 'error', 2, 1, 7, 'subject']]);
    const extra = await check('---\nsubject: Hi\nsubjet: Hi\n---\nBody\n');
    expect(extra.diagnostics.find((d) => d.code === 'SF4008')).toMatchObject({ severity: 'warning', line: 3, col: 1, endCol: 7, message: 'unknown front matter key "subjet" (known: subject)', suggestion: 'subject' });
  });

  it('an unknown placeholder inside a quoted subject is still a check error, at its column', async () => {
    const { diagnostics } = await check('---\nsubject: "Hi {{lead.nmae}}"\n---\nBody\n');
    expect(diagnostics).toMatchObject([{ code: 'SF4003', line: 2, col: 14, endCol: 27, severity: 'error' }]);
  });

  it('a quoted subject compiles to the text inside the quotes', async () => {
    const { plan } = await check('---\nsubject: "Thanks: {{lead.name}}"\n---\nBody\n');
    expect((plan!.rules[0] as { templates: Record<string, { subject: string }> }).templates.t.subject).toBe('Thanks: {{lead.name}}');
  });
});
