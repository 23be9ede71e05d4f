// SPEC §6–§7 through the built CLI: template front matter is read as the YAML it looks like. A
// malformed header fails `salesflow check` with file:line:col; a quoted subject compiles without
// its quotes; a misspelt key is a warning that offers the key meant.
import { describe, expect, it } from 'vitest';
import { salesflow, workspace } from './cli.js';

const rule = 'sequence "s" {\n  on lead.created\n  stop on lead.replied\n  send "hello" to lead\n}\n';

describe('template front matter (§6)', () => {
  it('a malformed header is a check error at file:line:col with the line shown, exit 1', () => {
    const dir = workspace({
      'rules/a.rules': rule,
      'rules/templates/hello.md': '---\nsubject: "Check-in: {{lead.name}}\n---\nHello\n',
    });
    const r = salesflow(dir, ['check', 'rules']);
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/rules\/templates\/hello\.md:2:\d+: error: template front matter is not valid YAML: Missing closing "quote/);
    expect(text).toContain('subject: "Check-in: {{lead.name}}');

    const json = salesflow(dir, ['check', '--format', 'json', 'rules']);
    const diagnostics = JSON.parse(json.stdout) as Array<{ file: string; line: number; code: string; severity: string }>;
    expect(diagnostics).toEqual([expect.objectContaining({ file: expect.stringMatching(/hello\.md$/), line: 2, code: 'SF4007', severity: 'error' })]);
  });

  it('a quoted subject compiles to the text inside the quotes; a misspelt key warns with did-you-mean', () => {
    const dir = workspace({
      'rules/a.rules': rule,
      'rules/templates/hello.md': '---\nsubject: "Check-in: {{lead.name}}"\nsubjcet: typo\n---\nHello\n',
    });
    const check = salesflow(dir, ['check', 'rules']);
    expect(check.code).toBe(0);
    expect(check.stdout + check.stderr).toMatch(/rules\/templates\/hello\.md:3:1: warning: unknown front matter key "subjcet"/);
    expect(check.stdout + check.stderr).toMatch(/did you mean subject/);
    const compiled = salesflow(dir, ['compile', 'rules']);
    expect(compiled.code).toBe(0);
    const plan = JSON.parse(compiled.stdout) as { rules: Array<{ templates: Record<string, { subject: string }> }> };
    expect(plan.rules[0].templates.hello.subject).toBe('Check-in: {{lead.name}}');
  });

  it('an unknown placeholder inside a quoted subject is still a check error', () => {
    const dir = workspace({
      'rules/a.rules': rule,
      'rules/templates/hello.md': "---\nsubject: 'Hi {{lead.nmae}}'\n---\nHello\n",
    });
    const r = salesflow(dir, ['check', 'rules']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/rules\/templates\/hello\.md:2:14: error: placeholder \{\{lead\.nmae\}\}/);
  });
});
