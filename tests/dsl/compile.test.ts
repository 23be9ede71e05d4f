// What the runtime relies on in a compiled plan: resolved settings, stable ids and versions,
// byte-identical output, templates and metrics carried per rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJsonPretty, compileSources } from '../../src/dsl/index.js';
import type { GoalRule, IncentiveRule, SequenceRule } from '../../src/plan/schema.js';
import { compile, exampleTemplates, root } from './helpers.js';

const exampleFiles = ['commission.rules', 'goals.rules', 'metrics.rules', 'sequences.rules'].map((f) => ({
  path: `rules/${f}`,
  text: readFileSync(join(root, 'rules', f), 'utf8'),
}));

describe('compile', () => {
  it('gives byte-identical JSON on two runs, whatever order the files come in', async () => {
    const a = await compileSources({ rules: exampleFiles, templates: exampleTemplates });
    const b = await compileSources({ rules: [...exampleFiles].reverse(), templates: [...exampleTemplates].reverse() });
    expect(a.plan).not.toBeNull();
    expect(canonicalJsonPretty(a.plan)).toBe(canonicalJsonPretty(b.plan));
  });

  it('resolves timezone and from per file, UTC when no settings', async () => {
    const { plan } = await compileSources({
      rules: [
        ...exampleFiles,
        { path: 'rules/plain.rules', text: 'sequence "Plain" {\n  on deal.won\n  send "csat-survey" to deal.contact\n}\n' },
        { path: 'rules/lower.rules', text: 'settings { timezone "asia/kolkata" }\nsequence "Lower" {\n  on deal.won\n  send "csat-survey" to deal.contact\n}\n' },
      ],
      templates: exampleTemplates,
    });
    const byName = new Map(plan!.rules.map((r) => [r.name, r]));
    // Written in lower case, the zone is planned as the tz database spells it: Temporal (an
    // incentive's period-end schedule) looks zones up case-sensitively.
    expect(byName.get('Lower')).toMatchObject({ timezone: 'Asia/Kolkata' });
    expect(byName.get('Q4 new business')).toMatchObject({ timezone: 'Europe/Berlin', from: 'Sales Ops <ops@acme.example>' });
    expect(byName.get('AE commission FY26')).toMatchObject({ timezone: 'America/New_York' });
    expect(byName.get('Plain')).toMatchObject({ timezone: 'UTC', from: null, id: 'plain' });
  });

  it('gives a rule named only in non-Latin letters a stable id; accents are dropped; a name without letters is still SF2010', async () => {
    // Was SF2010 "a rule name needs at least one letter or digit" for 営業目標 and Цель продаж.
    const goal = (name: string) => `goal "${name}" {\n  measure revenue\n  target 10 EUR per month\n  at end of period { send "goal-review" to rep }\n}\n`;
    const { plan, diagnostics } = await compile([goal('営業目標'), goal('Цель продаж'), goal('Prämie Größe Q4')].join('\n'));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ids = plan!.rules.map((r) => r.id);
    expect(ids).toEqual(['r-1a563c0476c0', 'r-46be5d6a3633', 'pramie-gro-e-q4']);
    // The same name, in NFD from another editor, is the same rule.
    const mine = 'Мой план';
    expect(mine.normalize('NFD')).not.toBe(mine);
    expect((await compile(goal(mine.normalize('NFD')))).plan!.rules[0].id).toBe((await compile(goal(mine))).plan!.rules[0].id);
    const { diagnostics: noLetters } = await compile(goal('🚀 -- 🚀'));
    expect(noLetters.map((d) => d.code)).toContain('SF2010');
  });

  it('gives path-based step ids in sequences', async () => {
    const { plan } = await compileSources({ rules: exampleFiles, templates: exampleTemplates });
    const webinar = plan!.rules.find((r) => r.id === 'webinar-follow-up') as SequenceRule;
    const ifStep = webinar.steps[4];
    expect(webinar.steps.map((s) => (s.kind === 'send' ? s.send.id : s.id))).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(ifStep.kind === 'if' && ifStep.then.map((s) => (s.kind === 'send' ? s.send.id : s.id))).toEqual(['s5.then.1', 's5.then.2']);
    expect(ifStep.kind === 'if' && ifStep.else.map((s) => (s.kind === 'send' ? s.send.id : s.id))).toEqual(['s5.else.1']);
    expect(webinar.subject).toBe('lead');
    expect(Object.keys(webinar.templates).sort()).toEqual(['book-a-call', 'case-study', 'hot-lead', 'newsletter-invite', 'webinar-thanks']);
  });

  it('carries the custom metrics a rule uses, and the incentive email templates', async () => {
    const { plan } = await compileSources({ rules: exampleFiles, templates: exampleTemplates });
    const attach = plan!.rules.find((r) => r.id === 'analytics-attach') as GoalRule;
    expect(Object.keys(attach.metrics)).toEqual(['analytics_revenue']);
    expect(attach.measure).toEqual({ metric: 'analytics_revenue', builtin: false, type: 'money' });
    const ae = plan!.rules.find((r) => r.id === 'ae-commission-fy26') as IncentiveRule;
    expect(Object.keys(ae.templates).sort()).toEqual(['incentive-approval', 'incentive-rejected', 'incentive-statement']);
    expect(ae.commission?.bands).toEqual([{ upTo: '100', rate: '8' }, { upTo: '150', rate: '12' }, { upTo: null, rate: '15' }]);
    expect(ae.cap).toEqual({ amount: '30000', currency: 'USD' });
  });

  it('keeps the rule version when only comments or positions change, and changes it with the content', async () => {
    const text = 'sequence "S" {\n  on deal.won\n  send "csat-survey" to deal.contact\n}\n';
    const a = (await compile(text)).plan!;
    const b = (await compile(`# a comment\n\n${text.replace('on deal.won', 'on   deal.won   # trailing')}`)).plan!;
    const c = (await compile(text.replace('on deal.won', 'on deal.won\n  wait 1 day'))).plan!;
    expect(b.rules[0].version).toBe(a.rules[0].version);
    expect(b.hash).toBe(a.hash);
    expect(c.rules[0].version).not.toBe(a.rules[0].version);
    expect(c.hash).not.toBe(a.hash);
  });

  it('changes the version when a template the rule sends changes', async () => {
    const text = 'sequence "S" {\n  on deal.won\n  send "t" to deal.contact\n}\n';
    const t1 = [{ path: 'rules/templates/t.md', text: '---\nsubject: A\n---\nBody\n' }];
    const t2 = [{ path: 'rules/templates/t.md', text: '---\nsubject: B\n---\nBody\n' }];
    const a = (await compile(text, 'x.rules', t1)).plan!;
    const b = (await compile(text, 'x.rules', t2)).plan!;
    expect(a.rules[0].version).not.toBe(b.rules[0].version);
  });

  it('gives no plan when there is any error, and a plan with warnings only', async () => {
    const bad = await compile('sequence "S" {\n  on deal.wonn\n  send "csat-survey" to deal.contact\n}\n');
    expect(bad.plan).toBeNull();
    const warned = await compile('sequence "S" {\n  on lead.created\n  send "webinar-thanks" to lead\n}\n');
    expect(warned.diagnostics.map((d) => d.code)).toEqual(['SF7001']);
    expect(warned.plan).not.toBeNull();
  });

  it('types money expressions with their currency', async () => {
    const { plan } = await compile(
      'goal "G" {\n  measure revenue\n  target 100 EUR per month\n  at end of period when revenue * 2 - 50 EUR >= 10% * 100 EUR and revenue / 2 EUR > 3 {\n    send "goal-review" to rep\n  }\n}\n',
    );
    const condition = (plan!.rules[0] as GoalRule).checkpoints[0].condition!;
    expect(condition.kind === 'binary' && condition.left.kind === 'binary' && condition.left.left).toMatchObject({ type: 'money', currency: 'EUR' });
  });
});
