// `salesflow plan` against an applied plan: what changed inside each rule, for the reviewer of a pull request.
import { describe, expect, it } from 'vitest';
import { describeRuleChanges } from '../../src/runtime/rule-field-diff.js';
import { compile } from '../dsl/helpers.js';

const rules = (rate: string, team: string, steps: string) => `incentive "AE pay" {
  period quarter
  measure revenue
  target 100_000 EUR
  commission marginal {
    up to 100% pay 8%
    above pay ${rate}
  }
  approve by rep.manager within 5 days { otherwise reject }
}

goal "Weekly wins" {
  for reps where rep.team = "${team}"
  measure deals_won
  target 5 per week
  at end of period { send "goal-review" to rep }
}

sequence "Demo follow-up" {
  on lead.created
  stop on lead.replied
${steps}
}
`;

const planOf = async (text: string) => {
  const compiled = await compile(text);
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compiled.plan!;
};

describe('plan: rule changes against the applied plan', () => {
  it('names each changed rule, schedule or not, with the fields that changed', async () => {
    const applied = await planOf(rules('12%', 'EMEA AEs', '  send "case-study" to lead'));
    // Moved down two lines and edited: positions are no change, the rest is.
    const local = await planOf(`\n\n${rules('15%', 'EMEA', '  wait 2 days\n  send "case-study" to lead')}metric big = count(deal) where deal.stage = "won"\n`);
    // Was: only "rule changed (version a → b)" under each schedule, and nothing at all about the
    // sequence on an event (it has no schedule).
    expect(describeRuleChanges(JSON.stringify(applied), local)).toBe([
      '',
      'Rule changes against the applied plan:',
      '  ~ incentive "AE pay"',
      '      commission.bands[2].rate: 12 → 15',
      '  ~ sequence "Demo follow-up"',
      '      steps[1]: added {"kind":"wait","duration":{"amount":"2","unit":"days"}}',
      '  ~ goal "Weekly wins"',
      '      reps.right.value.value: "EMEA AEs" → "EMEA"',
      '',
    ].join('\n'));
  });

  it('says a rule is new or removed, and nothing when only positions moved', async () => {
    const text = rules('12%', 'EMEA AEs', '  send "case-study" to lead');
    const applied = await planOf(text);
    expect(describeRuleChanges(JSON.stringify(applied), await planOf(`# moved\n\n${text}`))).toBe('');
    const fewer = await planOf(text.replace(/sequence "Demo follow-up"[^]*$/, '').concat('sequence "Nurture" {\n  on lead.created\n  stop on lead.replied\n  send "case-study" to lead\n}\n'));
    expect(describeRuleChanges(JSON.stringify(applied), fewer)).toBe(
      '\nRule changes against the applied plan:\n  + sequence "Nurture" (new)\n  - sequence "Demo follow-up" (removed)\n');
  });
});
