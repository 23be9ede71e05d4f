// A syntax error in one rule is reported once, at its place, and hides nothing else (SPEC §7: all
// diagnostics of a run): the rules after it are checked in full, and the statements of the same
// rule that the parser read intact are checked too, without errors repeated from the broken one.
import { describe, expect, it } from 'vitest';
import { diagnose } from './helpers.js';

const at = (text: string) => diagnose(text).map((d) => [d.code, d.line, d.col]);

describe('a syntax error hides no other diagnostic', () => {
  it('a stray word in an incentive: its crediting and the next rule are still checked', () => {
    // Was only the syntax error for "One": its `credit splitz` went unreported.
    const text = `incentive "One" {\n  for reps where rep.role = "AE"\n  period quarter\n  measure revenue oops\n  target 100000\n  credit splitz\n`
      + `  commission marginal {\n    up to 100% pay 8%\n    above pay 10%\n  }\n}\n\n`
      + `incentive "Two" {\n  period quarter\n  measure revenu\n  target 100000 USD\n  credit splitz\n  bonus 5 EUR when deals_won > 1\n}\n`;
    // The broken measure gives the rule's type: "One"'s target is not also called the wrong type.
    expect(at(text)).toEqual([
      ['SF1101', 4, 19], ['SF6017', 6, 3],
      ['SF6007', 13, 11], ['SF6011', 13, 11], ['SF2003', 15, 11], ['SF6017', 17, 3], ['SF6006', 18, 9],
    ]);
  });

  it("a commission missing its '}': one error, and the statements after it, the currency check included", () => {
    const text = `incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  commission marginal {\n    up to 100% pay 8%\n    above pay 10%\n\n`
      + `  credit splitz\n  bonus 5 EUR when deals_won > 1\n}\n\ngoal "G" {\n  measure revenue\n  target 5 USD per month\n  at end of period { send "goal-review" to rep.emial }\n}\n`;
    const ds = diagnose(text);
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 9, 3], ['SF6017', 9, 3], ['SF6006', 10, 9], ['SF2002', 16, 48]]);
    expect(ds[0].message).toBe("expected '}' but found 'credit'");
    expect(ds[2].message).toBe('this amount is in EUR but the incentive pays in USD');
  });

  it("a rule missing its own '}': its statements and the next rule are checked", () => {
    const text = `incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  prorate target by hire\n  bonus 5 EUR when deals_won > 1\n\n`
      + `incentive "Two" {\n  period quarter\n  measure revenue\n  target 100000\n  credit splitz\n}\n`;
    expect(at(text)).toEqual([
      ['SF6018', 5, 21], ['SF6006', 6, 9], ['SF1101', 8, 1],
      ['SF6007', 8, 11], ['SF6011', 8, 11], ['SF3009', 11, 10], ['SF6017', 12, 3],
    ]);
  });

  it('a broken target is not also "no currency" or a wrong type, and the other statements are checked', () => {
    const text = 'incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 oops\n  credit splitz\n  bonus 5 EUR when deals_won > 1\n}\n';
    expect(at(text)).toEqual([['SF1101', 4, 17], ['SF6017', 5, 3]]);
  });

  it('goals: a broken target line keeps currency checks quiet; templates and checkpoints are checked', () => {
    const text = 'goal "G1" {\n  measure revenue\n  target 100 USD per quarter oops\n  at end of period when revenue > 5 EUR { send "goal-reviw" to rep }\n}\n\n'
      + 'goal "G2" {\n  measure revenue\n  target 100 USD per quarter\n  at 150% of period { send "goal-review" to rep }\n}\n';
    expect(at(text)).toEqual([['SF1101', 3, 30], ['SF4001', 4, 48], ['SF5004', 10, 6]]);
    const measure = 'goal "G1" {\n  measure revenue +\n  target 100 USD per quarter\n  at end of period when revenue > 5 EUR { send "goal-reviw" to rep }\n}\n';
    expect(at(measure)).toEqual([['SF1101', 2, 19], ['SF4001', 4, 48]]);
  });

  it('sequences: with the trigger intact, scope errors of later steps are reported; with it broken, they are not', () => {
    const text = 'sequence "S1" {\n  on lead.created\n  stop on lead.replied\n  send "webinar-thanks" to lead oops\n  wait 0 days\n  send "case-study" to deal.contact\n}\n\n'
      + 'sequence "S2" {\n  on lead.creatd\n  stop on lead.replied\n  send "nope" to lead\n}\n';
    const ds = diagnose(text);
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1101', 4, 33], ['SF5006', 5, 8], ['SF2011', 6, 24], ['SF2004', 10, 6], ['SF4001', 12, 8]]);
    expect(ds[2].message).toBe('deal is not available in a sequence about a lead');
    const broken = 'sequence "S1" {\n  on lead.created where\n  stop on lead.replied\n  wait 0 days\n  send "case-study" to deal.contact\n}\n';
    expect(at(broken)).toEqual([['SF1102', 3, 3], ['SF5006', 4, 8]]);
  });
  it("a file ending inside a commission table or an approval block: one error there, and the rule's other statements are checked", () => {
    // Was only the end-of-file error: the rule was dropped whole, its `credit splitz` never checked.
    const head = 'incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  credit splitz\n';
    const table = diagnose(`${head}  commission marginal {\n    up to 100% pay 8%\n`);
    expect(table.map((d) => [d.code, d.line, d.col])).toEqual([['SF6017', 5, 3], ['SF1106', 7, 22]]);
    expect(table[1].message).toBe("expected '}' but found end of file: the '{' on line 6 is never closed");
    expect(at(`${head}  approve by rep.manager within 5 days {\n    escalate to "vp@acme.example" within 2 days\n`)).toEqual([['SF6017', 5, 3], ['SF1106', 7, 48]]);
    expect(at(`${head}  commission marginal {\n`)).toEqual([['SF6017', 5, 3], ['SF1106', 6, 24]]);
  });

  it('a metric with a syntax error is still defined, typed by its aggregate, and its intact parts are checked', () => {
    // Was: the broken metric was taken for a number (a false "target must be a number" and
    // "cannot compare a number with money" at the goal using it), a metric cut at its end was
    // "unknown metric" at every use, and a broken metric's `where` was not checked at all.
    const goal = 'goal "G" {\n  measure m\n  target 100 USD per month\n  at end of period when m > 5 USD and n > 5 USD and k > 3 { send "goal-review" to rep }\n}\n';
    const text = `metric m = sum(deal.amount) where deal.prodct = "A"\n  )\nmetric n = count(deal) where deal.stage = "won" and\n${goal}`
      + 'metric k = summ(deal.amount)\nmetric c = sum(deal.amount where deal.stagee = "won"\nmetric c = count(deal)\n';
    const ds = diagnose(text);
    // `n` counts deals, whatever its syntax error: comparing it with money is still wrong.
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([
      ['SF2002', 1, 40], ['SF1104', 2, 3], ['SF1102', 4, 1], ['SF3004', 7, 39], ['SF1102', 9, 12], ['SF1101', 10, 28], ['SF2002', 10, 39], ['SF2007', 11, 8],
    ]);
    // A `where` followed on its line by what was meant as part of it is not checked as written.
    expect(at('metric big = count(deal) where deal.amount >= 50 000 EUR\n')).toEqual([['SF1104', 1, 50]]);
    const counted = 'metric n = count(deal) where deal.stage = "won" )\ngoal "G" {\n  measure n\n  target 100 USD per month\n  at end of period { send "goal-review" to rep }\n}\n';
    expect(diagnose(counted).map((d) => [d.code, d.line])).toEqual([['SF1104', 1], ['SF3009', 4]]);
  });

  it('a file ending inside an approval block reports what the block holds, but not a missing `otherwise`', () => {
    // Was only the end-of-file error: the approver's misspelt field, the bad address, the zero
    // window and the recipient out of scope went unreported until the `}` was added.
    const text = 'incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  commission marginal { up to 100% pay 8% above pay 9% }\n'
      + '  approve by rep.manger within 5 days {\n    escalate to "not-an-address" within 0 days\n    escalate to lead.email within 2 days\n';
    expect(at(text)).toEqual([['SF2002', 6, 18], ['SF8002', 7, 17], ['SF5006', 7, 41], ['SF2011', 8, 17], ['SF1106', 8, 41]]);
    // A table cut short: its bands are checked; no "no `above` band" for the part never written.
    const table = 'incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  commission marginal {\n    up to 100% pay 8%\n    up to 50% pay 9%\n';
    expect(at(table)).toEqual([['SF6001', 7, 11], ['SF1106', 7, 21]]);
    // An `if` or check-in whose block the file ends in is not "a block that sends nothing".
    expect(at('sequence "S" {\n  on lead.created\n  stop on lead.replied\n  send "webinar-thanks" to lead\n  if lead.score > 5 {\n')).toEqual([['SF1106', 5, 22]]);
  });

  it('a file cut at any point still reports the mistakes of the statements before the cut', () => {
    // Was: a file ending inside a statement (`for reps where`, `target 100_`, `approve by`) dropped
    // the whole rule, and the `credit splitz` above the cut went unreported.
    const text = 'incentive "One" {\n  credit splitz\n  for reps where rep.role = "AE" and rep.region in ["EMEA", "NA"]\n  period quarter\n'
      + '  effective 2026-01-01 to 2026-12-31\n  measure revenue\n  target 100_000 USD\n  prorate target by employment\n'
      + '  convert currencies at closing rate\n  commission marginal {\n    up to 100% pay 8%\n    above pay 15%\n  }\n'
      + '  bonus 1_000 USD when deals_won >= 10 and attainment > 50%\n  spiff 250 USD per deal where deal.product = "Analytics"\n'
      + '  cap 30_000 USD\n  reward "Extra day off" when attainment >= 120%\n'
      + '  approve by rep.manager within 5 days {\n    escalate to "vp-sales@acme.example" within 3 days\n    otherwise reject\n  }\n}\n';
    const missed: string[] = [];
    for (let end = text.indexOf('splitz') + 'splitz'.length; end <= text.length; end++) {
      // After each token, after each space, and one character into each word.
      if (!/[\s{}()[\],"%]/.test(text[end] ?? ' ') && !/\s/.test(text[end - 1]) && !/\s/.test(text[end - 2])) continue;
      const codes = diagnose(text.slice(0, end)).map((d) => d.code);
      if (!codes.includes('SF6017')) missed.push(`cut after ${JSON.stringify(text.slice(Math.max(0, end - 25), end))}: ${codes.join(' ')}`);
    }
    expect(missed).toEqual([]);
  });

  it('a mistake on a line of an approval block stays in the block: no stray `}` after it, and the rest of the rule is checked', () => {
    // Was: the approval's `}` closed the rule, its own `}` was "expected a declaration" (SF1104),
    // and the bonus in the wrong currency after the block went unreported.
    const text = (line: string) => 'incentive "One" {\n  period quarter\n  measure revenue\n  target 100000 USD\n  commission marginal { up to 100% pay 8% above pay 9% }\n'
      + `  approve by rep.manager within 5 days {\n    ${line}\n  }\n  bonus 5 EUR when deals_won > 3\n}\n`;
    const ds = diagnose(text('otherwise rejct'));
    expect(ds.map((d) => [d.code, d.line, d.col])).toEqual([['SF1102', 7, 15], ['SF6006', 9, 9]]);
    expect(ds[0].suggestion ?? ds[0].message).toContain('reject');
    expect(at(text('escalate to rep.manager within'))).toEqual([['SF1101', 7, 35], ['SF6006', 9, 9]]);
  });
});
