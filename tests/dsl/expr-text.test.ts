// A compiled condition written back as rule text (what `salesflow plan` shows a reviewer) reads
// back as the same condition: same operators, same grouping, same literals.
import { describe, expect, it } from 'vitest';
import { exprText } from '../../src/dsl/expr-text.js';
import { compile } from './helpers.js';

const conditionOf = async (when: string) => {
  const compiled = await compile(`goal "g" {\n  measure revenue\n  target 100 EUR per quarter\n  at 50% of period when ${when} { send "goal-review" to rep }\n}\n`);
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const rule = compiled.plan!.rules[0] as unknown as { checkpoints: { condition: Parameters<typeof exprText>[0] }[] };
  return rule.checkpoints[0].condition;
};

describe('exprText', () => {
  it.each([
    ['attainment < 40%', 'attainment < 40%'],
    ['(deals_won >= 3 or revenue > 1_000.50 EUR) and rep.team != "EMEA \\"A\\""', '(deals_won >= 3 or revenue > 1000.50 EUR) and rep.team != "EMEA \\"A\\""'],
    ['deals_won - (deals_won - 1) > 0', 'deals_won - (deals_won - 1) > 0'],
    ['not (deals_won in [1, 2]) and rep.region not in ["DACH"]', 'not deals_won in [1, 2] and rep.region not in ["DACH"]'],
    ['-(deals_won + 1) < 0 or (revenue * 2) / 3 >= 10 EUR', '-(deals_won + 1) < 0 or revenue * 2 / 3 >= 10 EUR'],
    ['rep.start_date <= 2026-01-01', 'rep.start_date <= 2026-01-01'],
  ])('%s reads as %s, which compiles to the same condition', async (written, shown) => {
    const condition = await conditionOf(written);
    expect(exprText(condition)).toBe(shown);
    expect(await conditionOf(shown)).toEqual(condition);
  });
});
