// What a rep and a manager read in the payout emails, rendered from the templates the demo and a
// new project use (rules/templates) and from the built-in defaults a plan built by hand falls back on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { payoutScope, payoutTemplate, type PayoutEmailKind } from '../../src/activities/payout-emails.js';
import type { Statement } from '../../src/payouts/statement.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { renderTemplate } from '../../src/templates/index.js';
import type { DecisionResult } from '../../src/workflows/api.js';
import { compileSources } from '../../src/dsl/index.js';
import { exampleTemplates, root } from '../dsl/helpers.js';

const rep: RepRecord = {
  id: 'r1', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
  manager: 'mia@acme.example', timezone: 'Europe/Berlin', start_date: null,
};

async function demoRule(): Promise<IncentiveRule> {
  const rules = ['commission.rules', 'metrics.rules'].map((f) => ({ path: `rules/${f}`, text: readFileSync(join(root, 'rules', f), 'utf8') }));
  const { plan } = await compileSources({ rules, templates: exampleTemplates });
  return plan!.rules.find((r) => r.name === 'AE commission FY26') as IncentiveRule;
}

const statement = (rule: IncentiveRule): Statement => ({
  rule: rule.name, ruleId: rule.id, ruleVersion: rule.version, rep: rep.id, repName: rep.name, period: '2026-Q1',
  currency: 'USD', measureMetric: 'revenue', measure: '160000.00', target: '100000.00', attainment: '160.00',
  lines: [{ kind: 'commission', description: '8% of 100,000.00 USD = 8,000.00 USD', amount: '8000.00' },
    { kind: 'commission', description: '12% of 50,000.00 USD = 6,000.00 USD', amount: '6000.00' },
    { kind: 'commission', description: '15% of 10,000.00 USD = 1,500.00 USD', amount: '1500.00' }] as Statement['lines'],
  capped: false, total: '15500.00', rewards: [], warnings: [],
});

// 2026-04-03 08:15 UTC is 10:15 in Berlin (CEST).
const decidedAt = '2026-04-03T08:15:00.000Z';

function render(rule: IncentiveRule, kind: PayoutEmailKind, decision: DecisionResult, extra: { reason?: string | null; anyoneAsked?: boolean } = {}) {
  const scope = payoutScope({ rule, rep, statement: statement(rule), decision, reason: extra.reason ?? null, anyoneAsked: extra.anyoneAsked });
  return renderTemplate(payoutTemplate(rule, kind), scope);
}

describe.each([
  ['rules/templates (the demo)', false],
  ['the built-in defaults', true],
])('the rep’s statement email, %s', (_, defaults) => {
  const ruleOf = async () => {
    const rule = await demoRule();
    return defaults ? { ...rule, templates: {} } : rule;
  };

  it('says the statement was approved, by whom, when (in the rep’s zone) and the amount', async () => {
    const mail = render(await ruleOf(), 'statement', { outcome: 'approved', decidedBy: 'mia@acme.example', decidedAt });
    expect(mail.subject).toMatch(/approved/i);
    expect(mail.subject).toContain('2026-Q1');
    expect(mail.subject).toContain('15,500.00 USD');
    expect(mail.text).toContain('your AE commission FY26 statement for 2026-Q1 was approved by mia@acme.example on 2026-04-03 10:15 Europe/Berlin');
    expect(mail.text).toContain('Approved total: 15,500.00 USD');
    expect(mail.html).toContain('was approved by mia@acme.example on 2026-04-03 10:15 Europe/Berlin');
  });

  it('names each reward once: among the statement lines, not again on a line of its own', async () => {
    const rule = await ruleOf();
    const scope = payoutScope({
      rule, rep, statement: { ...statement(rule), rewards: ['President\u2019s Club trip'] },
      decision: { outcome: 'approved', decidedBy: 'mia@acme.example', decidedAt }, reason: null,
    });
    const mail = renderTemplate(payoutTemplate(rule, 'statement'), scope);
    expect(mail.text.split('President\u2019s Club trip').length - 1).toBe(1);
    expect(mail.text).toContain('- Reward: President\u2019s Club trip');
    // No "Rewards: none" either when there are none.
    expect(render(rule, 'statement', { outcome: 'approved', decidedBy: 'mia@acme.example', decidedAt }).text).not.toMatch(/Rewards?:/);
  });

  it('says a statement nobody decided in time was approved by the rule, and why', async () => {
    const mail = render(await ruleOf(), 'statement', { outcome: 'approved', decidedBy: 'otherwise', decidedAt });
    expect(mail.text).toContain("was approved on 2026-04-03 10:15 Europe/Berlin by the rule's `otherwise approve`: nobody decided within the approval window");
    expect(mail.text).not.toContain('approved by otherwise');
  });

  it('says a statement of a rule without approval was approved automatically', async () => {
    const mail = render(await ruleOf(), 'statement', { outcome: 'approved', decidedBy: 'auto', decidedAt });
    expect(mail.text).toContain('was approved automatically on 2026-04-03 10:15 Europe/Berlin (the rule asks no one to approve it)');
    expect(mail.text).not.toContain('by auto');
  });

  it('the rejection notice says who rejected it and when, and the reason', async () => {
    const mail = render(await ruleOf(), 'rejected', { outcome: 'rejected', decidedBy: 'mia@acme.example', decidedAt }, { reason: 'deal d9 is a duplicate' });
    expect(mail.subject).toContain('was rejected');
    expect(mail.text).toContain('was rejected by mia@acme.example on 2026-04-03 10:15 Europe/Berlin');
    expect(mail.text).toContain('Reason: deal d9 is a duplicate');
    expect(mail.text).toContain('Rejected total: 15,500.00 USD');
  });
});
