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
      '      reps: rep.team = "EMEA AEs" → rep.team = "EMEA"',
      '',
    ].join('\n'));
  });

  it('shows a changed condition as rule text, before → after, wherever it is (not the field paths of its tree)', async () => {
    const goal = (reps: string, when: string) => `goal "Q4" {
  ${reps}
  measure revenue
  target 120_000 EUR per quarter
  at 50% of period when ${when} { send "goal-at-risk" to rep.manager }
}

incentive "AE pay" {
  period quarter
  measure revenue
  target 100_000 EUR
  commission marginal { up to 100% pay 8% above pay 12% }
  spiff 250 EUR per deal where deal.product = "Analytics"
  approve by rep.manager within 5 days { otherwise reject }
}
`;
    const applied = await planOf(goal('for reps where rep.team = "EMEA AEs"', 'attainment < 40%'));
    const local = await planOf(goal('for reps where (rep.team = "EMEA AEs" or rep.region = "DACH") and rep.role != "SDR"', 'attainment < 40% and not (deals_won >= 3)')
      .replace('deal.product = "Analytics"', 'deal.product in ["Analytics", "BI \\"Pro\\""] and deal.amount >= 40_000 EUR'));
    const text = describeRuleChanges(JSON.stringify(applied), local);
    // Was: `checkpoints[1].condition.left: ... → {"kind":"binary",...}`, `reps.left.right...`.
    expect(text).toContain('      reps: rep.team = "EMEA AEs" → (rep.team = "EMEA AEs" or rep.region = "DACH") and rep.role != "SDR"\n');
    expect(text).toContain('      checkpoints[1].condition: attainment < 40% → attainment < 40% and not deals_won >= 3\n');
    expect(text).toContain('      spiffs[1].where: deal.product = "Analytics" → deal.product in ["Analytics", "BI \\"Pro\\""] and deal.amount >= 40000 EUR\n');
    expect(text).not.toMatch(/\.(left|right|operand|value)\b|"kind"/);
    // A condition added or taken away reads as (none) on its side.
    const everyone = await planOf(goal('', 'attainment < 40%'));
    expect(describeRuleChanges(JSON.stringify(everyone), applied)).toContain('      reps: (none) → rep.team = "EMEA AEs"\n');
  });

  it('an if step added to a sequence shows its condition as rule text', async () => {
    const applied = await planOf(rules('12%', 'EMEA AEs', '  send "case-study" to lead'));
    const local = await planOf(rules('12%', 'EMEA AEs', '  send "case-study" to lead\n  if lead.score >= 50 and lead.source != "ads" { send "book-a-call" to lead }'));
    expect(describeRuleChanges(JSON.stringify(applied), local)).toContain('steps[2]: added {"kind":"if","condition":"lead.score >= 50 and lead.source != \\"ads\\"",');
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
