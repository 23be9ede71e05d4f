// Templates as authors write them and as recipients see them.
import { describe, expect, it } from 'vitest';
import { defaultTemplateTexts, parseTemplate, renderTemplate, scopePaths, templateScopes } from '../../src/templates/index.js';

describe('parseTemplate', () => {
  it('reads the subject from the front matter and lists placeholders in order of first use', () => {
    const { template, uses, problems } = parseTemplate('t', '---\nsubject: Hi {{ lead.name }}\n---\n\nHello {{lead.name}} from {{rep.name}}\n');
    expect(problems).toEqual([]);
    expect(template).toEqual({ name: 't', subject: 'Hi {{ lead.name }}', body: 'Hello {{lead.name}} from {{rep.name}}\n', placeholders: ['lead.name', 'rep.name'] });
    expect(uses[0]).toEqual({ path: 'lead.name', line: 2, col: 13, endCol: 28 });
  });

  it('accepts a bare subject line', () => {
    expect(parseTemplate('t', 'subject: Hello\nBody\n').template.subject).toBe('Hello');
    expect(parseTemplate('t', 'subject : Hello\nBody\n').template.subject).toBe('Hello');
  });

  it('reads a bare `Subject:` line as a misspelt key, not as the first line of the body', () => {
    const { template, problems } = parseTemplate('t', 'Subject: Hello {{lead.name}}\nBody\n');
    expect(problems).toEqual([
      { kind: 'unknownFrontMatterKey', key: 'Subject', line: 1, col: 1, endCol: 8 },
      expect.objectContaining({ kind: 'noSubject', line: 1 }),
    ]);
    expect(template.body).toBe('Body\n');
  });

  it('reports a missing subject, an unclosed front matter and malformed placeholders', () => {
    expect(parseTemplate('t', 'Body only\n').problems[0]).toMatchObject({ kind: 'noSubject' });
    expect(parseTemplate('t', '---\nsubject: x\nBody\n').problems[0]).toMatchObject({ kind: 'unclosedFrontMatter' });
    const bad = parseTemplate('t', '---\nsubject: x\n---\nHi {{lead name}} and {{rep.name\n').problems;
    expect(bad.map((p) => p.kind)).toEqual(['badPlaceholder', 'badPlaceholder']);
    expect(bad[0]).toMatchObject({ line: 4, col: 4 });
  });

  it('points at just the malformed placeholder and offers the one meant', () => {
    const bad = parseTemplate('t', '---\nsubject: x\n---\nHi {{Lead.Name}}, {{lead name}} and {{lead.email} thanks\n').problems;
    expect(bad).toEqual([
      { kind: 'badPlaceholder', text: '{{Lead.Name}}', line: 4, col: 4, endCol: 17, fix: '{{lead.name}}' },
      { kind: 'badPlaceholder', text: '{{lead name}}', line: 4, col: 19, endCol: 32, fix: '{{lead.name}}' },
      { kind: 'badPlaceholder', text: '{{lead.email}', line: 4, col: 37, endCol: 50, fix: '{{lead.email}}' },
    ]);
  });
});

describe('renderTemplate', () => {
  it('escapes values in HTML and keeps them as they are in text', () => {
    const { template } = parseTemplate('t', '---\nsubject: Deal {{deal.name}}\n---\n\nHi <b>{{lead.name}}</b>\n\nBye\n');
    const out = renderTemplate(template, { deal: { name: 'A & B' }, lead: { name: '<script>x</script>' } });
    expect(out.subject).toBe('Deal A & B');
    expect(out.text).toBe('Hi <b><script>x</script></b>\n\nBye\n');
    expect(out.html).toBe('<p>Hi &lt;b&gt;&lt;script&gt;x&lt;/script&gt;&lt;/b&gt;</p>\n<p>Bye</p>\n');
  });

  it('a paragraph the team wrote in Hebrew or Arabic is laid out right to left; an English one opening with an Arabic name is not', () => {
    const { template } = parseTemplate('t', '---\nsubject: x\n---\n\nשלום {{lead.name}}, תודה!\n\n{{rep.name}} مرحبا بك\n\n{{rep.name}} earned 8,548.00 USD.\n');
    const out = renderTemplate(template, { lead: { name: 'Ana Souza' }, rep: { name: 'علي حسن' } });
    expect(out.html).toBe('<p dir="rtl">שלום Ana Souza, תודה!</p>\n<p dir="rtl">علي حسن مرحبا بك</p>\n<p>علي حسن earned 8,548.00 USD.</p>\n');
  });

  it('renders missing values as empty', () => {
    const { template } = parseTemplate('t', 'subject: x {{rep.team}}\nBody\n');
    expect(renderTemplate(template, { rep: { team: null } }).subject).toBe('x');
  });

  it('leaves no gap in the subject where a value is missing, and no line end of a block subject', () => {
    const scope = { lead: { name: 'Ana', company: null } };
    const gap = parseTemplate('t', 'subject: Your {{lead.company}} trial, {{lead.name}}\nBody\n').template;
    expect(renderTemplate(gap, scope).subject).toBe('Your trial, Ana');
    const block = parseTemplate('t', '---\nsubject: |\n  Hello {{lead.name}}\n  from {{lead.company}}\n---\nBody\n').template;
    expect(renderTemplate(block, scope).subject).toBe('Hello Ana from');
    // A value's own line break is one space; the author's non-breaking space stays.
    const nbsp = parseTemplate('t', 'subject: Bonjour\u00a0! {{lead.name}}\nBody\n').template;
    expect(renderTemplate(nbsp, { lead: { name: 'Ana\r\n\r\nSouza' } }).subject).toBe('Bonjour\u00a0! Ana Souza');
  });
});

describe('scopes', () => {
  it('the built-in incentive emails only use the incentive scope', () => {
    const paths = scopePaths('incentive');
    for (const [name, text] of Object.entries(defaultTemplateTexts)) {
      const { template, problems } = parseTemplate(name, text);
      expect(problems).toEqual([]);
      for (const p of template.placeholders) expect(paths.has(p), `${name}: ${p}`).toBe(true);
    }
  });

  it('gives lead sequences the lead and its owner, and scheduled ones only the rep', () => {
    expect(scopePaths('sequence:lead').has('lead.score')).toBe(true);
    expect(scopePaths('sequence:lead').has('rep.email')).toBe(true);
    expect(scopePaths('sequence:rep').has('lead.name')).toBe(false);
    expect(scopePaths('goal').has('progress.attainment')).toBe(true);
    expect(scopePaths('incentive').has('approval.url')).toBe(true);
    expect(Object.keys(templateScopes).sort()).toEqual(['goal', 'incentive', 'sequence:deal', 'sequence:lead', 'sequence:rep']);
  });
});
