// The rule language of "incentive, in depth": `credit ...`, `prorate target by employment`,
// `convert currencies at closing rate` and money band bounds — what they compile to, the
// diagnostics (stable codes, place, did-you-mean) and `fmt` keeping them.
import { describe, expect, it } from 'vitest';
import { formatDiagnostics, formatSource } from '../../src/dsl/index.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { compile, diagnose } from './helpers.js';

const incentive = (body: string, target = '250_000 USD') =>
  `incentive "i" {\n  period quarter\n  measure revenue\n  target ${target}\n  approve by rep.manager within 2 days { otherwise reject }\n${body}\n}\n`;
const bands = (...lines: string[]) => `  commission marginal {\n${lines.map((l) => `    ${l}`).join('\n')}\n  }`;

async function rule(source: string): Promise<IncentiveRule> {
  const { plan, diagnostics } = await compile(source);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return plan!.rules[0] as IncentiveRule;
}

describe('incentive, in depth: compiled', () => {
  it.each([
    ['splits', 'splits'], ['overlay splits', 'overlay'], ['all splits', 'all'], ['team', 'team'], ['team all levels', 'team_all_levels'],
  ])('credit %s', async (written, credit) => {
    expect((await rule(incentive(`  credit ${written}\n${bands('above pay 1%')}`))).credit).toBe(credit);
  });

  it('proration, conversion and money bounds; a rule without them compiles as before', async () => {
    const r = await rule(incentive(`  prorate target by employment\n  convert currencies at closing rate\n${bands('up to 150_000 USD pay 4%', 'up to 250_000 USD pay 6%', 'above pay 8%')}`));
    expect(r).toMatchObject({ prorate: 'employment', convert: 'closing_rate' });
    expect(r.commission).toEqual({
      method: 'marginal', bounds: 'amount',
      bands: [{ upTo: '150000', rate: '4' }, { upTo: '250000', rate: '6' }, { upTo: null, rate: '8' }],
    });
    const plain = await rule(incentive(bands('up to 100% pay 8%', 'above pay 10%')));
    expect(Object.keys(plain)).not.toEqual(expect.arrayContaining(['credit']));
    expect('prorate' in plain || 'convert' in plain || 'bounds' in plain.commission!).toBe(false);
  });

  it('a crediting wrapped over lines reads as one (newlines are insignificant), and fmt joins it', async () => {
    // Was "expected a statement or '}' but found 'all'": only the words of the `credit` line were read.
    for (const [written, credit] of [['team\n    all levels', 'team_all_levels'], ['all # revenue and overlay\n    splits', 'all'], ['overlay\n splits', 'overlay']]) {
      expect((await rule(incentive(`  credit ${written}\n${bands('above pay 1%')}`))).credit).toBe(credit);
    }
    expect(formatSource(incentive('  credit team\n    all levels'), 'x.rules').formatted).toContain('\n  credit team all levels\n');
    // A word on the next line that continues no form is the next statement, as before.
    expect(diagnose(incentive('  credit splits\n  bonsu 5 USD when deals_won > 1')).map((d) => [d.code, d.line, d.suggestion])).toEqual([['SF1101', 7, 'bonus']]);
  });

  it('keeps `team` a rep field: `credit team` and `rep.team` in one rule', async () => {
    const r = await rule(incentive(`  for reps where rep.team = "Managers"\n  credit team\n${bands('above pay 1%')}`));
    expect(r.credit).toBe('team');
  });
});

// [what, body, code, line, col, suggestion]
const bad: [string, string, string, number, number, string | undefined][] = [
  ['mixed % and amount bounds', bands('up to 150_000 USD pay 4%', 'up to 120% pay 6%', 'above pay 8%'), 'SF6013', 8, 11, undefined],
  ['amount bounds that do not rise', bands('up to 250_000 USD pay 4%', 'up to 150_000 USD pay 6%', 'above pay 8%'), 'SF6014', 8, 11, undefined],
  ['a bound in another currency than the target', bands('up to 150_000 EUR pay 4%', 'above pay 8%'), 'SF6015', 7, 11, '150000 USD'],
  ['a misspelt crediting', '  credit team all level', 'SF6017', 6, 3, 'credit team all levels'],
  ['an unknown crediting', '  credit everyone', 'SF6017', 6, 3, undefined],
  ['a misspelt proration', '  prorate target by employmnt', 'SF6018', 6, 21, 'employment'],
  ['a misspelt conversion', '  convert currencies at closing rates', 'SF6019', 6, 3, 'convert currencies at closing rate'],
  ['a conversion in the singular (`currency` is a keyword)', '  convert currency at closing rate', 'SF6019', 6, 3, 'convert currencies at closing rate'],
];

describe('incentive, in depth: diagnostics', () => {
  it.each(bad)('%s', (_what, body, code, line, col, suggestion) => {
    const found = diagnose(incentive(body)).find((d) => d.code === code);
    expect(found, JSON.stringify(diagnose(incentive(body)), null, 1)).toMatchObject({ severity: 'error', line, col });
    expect(found!.suggestion).toBe(suggestion);
  });

  it('SF6019 says the fix once: as "did you mean" when the words are near it, else in the message', () => {
    const near = diagnose(incentive('  convert currencies at closing rates')).filter((d) => d.code === 'SF6019');
    const [json] = JSON.parse(formatDiagnostics(near, 'json')) as { message: string }[];
    // Was "...: write `convert currencies at closing rate`; did you mean convert currencies at closing rate?".
    expect(json.message).toBe('`convert currencies at closing rates` is not a conversion; did you mean convert currencies at closing rate?');
    const text = formatDiagnostics(near, 'text');
    expect(text).toContain('error: `convert currencies at closing rates` is not a conversion [SF6019]\n');
    expect(text).toContain('\n  did you mean convert currencies at closing rate?\n');
    expect(text).not.toContain('write `convert');
    const far = diagnose(incentive('  convert money at spot price')).find((d) => d.code === 'SF6019');
    expect(far).toMatchObject({ message: '`convert money at spot price` is not a conversion: write `convert currencies at closing rate`' });
    expect(far!.suggestion).toBeUndefined();
  });

  it('a zero amount bound says zero in money, not 0%', () => {
    const found = diagnose(incentive(bands('up to 0 USD pay 4%', 'above pay 8%'))).find((d) => d.code === 'SF6012');
    expect(found?.message).toBe('a band bound must be more than 0 USD');
  });

  it('amount bounds need a money measure', () => {
    const source = `incentive "i" {\n  period quarter\n  measure deals_won\n  target 10\n  bonus 5 USD when deals_won > 1\n${bands('up to 150_000 USD pay 4%')}\n}\n`;
    const found = diagnose(`settings { currency USD }\n${source}`).find((d) => d.code === 'SF6016');
    // Was `"i" measures number`: the metric is named, as SF6022 names it.
    expect(found?.message).toBe('amount band bounds need a money measure and target; "i" measures deals_won, a number');
  });

  it('a commission on a count measure is a check warning naming the metric (its statements would pay no commission), and the rule still compiles', () => {
    const source = `settings { currency USD }\nincentive "Deal count" {\n  period quarter\n  measure deals_won\n  target 10\n  bonus 500 USD when deals_won >= 10\n${bands('up to 100% pay 8%', 'above pay 10%')}\n}\n`;
    const found = diagnose(source);
    expect(found.filter((d) => d.severity === 'error')).toEqual([]);
    expect(found.find((d) => d.code === 'SF6022')).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('"Deal count" measures deals_won, a number: its statements pay no commission'),
    });
    const money = `settings { currency USD }\nincentive "Revenue" {\n  period quarter\n  measure revenue\n  target 10000 USD\n${bands('up to 100% pay 8%', 'above pay 10%')}\n}\n`;
    expect(diagnose(money).map((d) => d.code)).not.toContain('SF6022');
  });

  it('prorating the target of a rate, an average, a snapshot or a min/max is an error at `prorate` (a 50% win-rate target prorated to 24.19% paid 33% as attained); sums and counts prorate', () => {
    const measured = (measure: string, target: string) => `settings { currency USD }\nmetric avg_won = avg(deal.amount) where deal.stage = "won"\nmetric biggest = max(deal.amount) where deal.stage = "won"\nmetric won_sum = sum(deal.amount) where deal.stage = "won"\nmetric big_wins = count(deal) where deal.stage = "won"\nincentive "i" {\n  period quarter\n  measure ${measure}\n  target ${target}\n  prorate target by employment\n  bonus 5 USD when attainment >= 100%\n  approve by rep.manager within 2 days { otherwise reject }\n}\n`;
    const win = diagnose(measured('win_rate', '50%')).find((d) => d.code === 'SF6026');
    expect(win).toMatchObject({ severity: 'error', line: 10, col: 3 });
    expect(win!.message).toContain('and "win_rate" is a rate, which does not add up over the period\'s days: a rep employed half of it would need half the win rate');
    for (const [measure, target] of [['avg_deal_size', '9000 USD'], ['pipeline', '9000 USD'], ['avg_won', '9000 USD'], ['biggest', '9000 USD']]) {
      expect(diagnose(measured(measure, target)).map((d) => d.code), measure).toContain('SF6026');
    }
    for (const [measure, target] of [['revenue', '9000 USD'], ['new_revenue', '9000 USD'], ['deals_won', '10'], ['won_sum', '9000 USD'], ['big_wins', '10']]) {
      expect(diagnose(measured(measure, target)).filter((d) => d.severity === 'error'), measure).toEqual([]);
    }
  });

  it('a spiff comparing deal.amount with money in another currency warns at its where: without convert it never matches, with convert only deals in that currency can', () => {
    const spiff = (extra: string, where: string) => `settings { currency USD }\nincentive "i" {\n  period quarter\n  measure revenue\n  target 10000 USD\n${extra}  spiff 7 USD per deal where ${where}\n  approve by rep.manager within 2 days { otherwise reject }\n}\n`;
    const plain = diagnose(spiff('', 'deal.product = "A" and deal.amount >= 1_000 EUR')).filter((d) => d.code === 'SF6027');
    expect(plain).toEqual([expect.objectContaining({
      severity: 'warning', line: 6, col: 30,
      message: 'deal.amount is compared with EUR money in a USD incentive: it never matches: deals in EUR are left out of the incentive (no `convert`), and deals in USD are never compared with EUR amounts',
    })]);
    const converting = diagnose(spiff('  convert currencies at closing rate\n', 'deal.amount >= 1_000 EUR')).find((d) => d.code === 'SF6027');
    expect(converting?.message).toBe('deal.amount is compared with EUR money in a USD incentive: only deals in EUR can match (on their own amount); deals in USD, or converted to USD, are never compared with EUR amounts');
    expect(diagnose(spiff('', 'deal.amount >= 1_000 USD')).map((d) => d.code)).not.toContain('SF6027');
  });

  it('a bonus or cap finer than its currency\'s minor unit warns at the amount with what is paid; exact ones and spiffs (rounded per line) do not', () => {
    // Was: `bonus 100.5 JPY` checked clean and every statement paid 101 JPY.
    const amounts = (target: string, lines: string) =>
      `incentive "i" {\n  period quarter\n  measure revenue\n  target ${target}\n${lines}\n  approve by rep.manager within 2 days { otherwise reject }\n}\n`;
    const warned = diagnose(amounts('1_000_000 JPY', '  bonus 100.5 JPY when deals_won >= 1\n  spiff 7.00 JPY per deal\n  cap 9_000_000.0 JPY'));
    expect(warned.filter((d) => d.code === 'SF6028')).toEqual([expect.objectContaining({
      severity: 'warning', line: 5, col: 9,
      message: '100.5 JPY has more decimals than JPY has (no minor unit): statements use it rounded half up, as 101 JPY; write the amount payroll will see',
    })]);
    const dollars = diagnose(amounts('10_000 USD', '  spiff 0.125 USD per deal\n  cap 900.1234 USD\n  bonus 2_500.50 USD when deals_won >= 1'));
    // A spiff per deal is exact (3 deals × 0.125 USD = 0.38 USD, rounded once): no warning there.
    expect(dollars.filter((d) => d.code === 'SF6028').map((d) => [d.line, d.message.split(';')[0]])).toEqual([
      [6, '900.1234 USD has more decimals than USD has (2 decimals): statements use it rounded half up, as 900.12 USD'],
    ]);
    expect(diagnose(amounts('10_000 BHD', '  bonus 12.345 BHD when deals_won >= 1')).map((d) => d.code)).not.toContain('SF6028');
  });

  it('a target or an amount band bound finer than the currency warns at it, suggesting the rounded amount; goals too', () => {
    // Was: `target 100000.005 USD` checked clean, the statement read "target 100,000.01 USD" and
    // 80,000 USD of revenue came out as 79.99% attainment; `up to 150000.001 USD` was shown as a
    // band ending at 150,000.00 USD while a measure of 150,000.001 USD still paid its rate.
    const fine = diagnose(incentive(bands('up to 150_000.001 USD pay 4%', 'up to 200_000 USD pay 6%', 'above pay 8%'), '100_000.005 USD'));
    expect(fine.filter((d) => d.code === 'SF6029')).toEqual([
      expect.objectContaining({
        severity: 'warning', line: 4, col: 10, endCol: 25, suggestion: '100000.01 USD',
        message: 'the target 100000.005 USD has more decimals than USD has (2 decimals): statements and emails show it as 100000.01 USD, but attainment is computed on the amount as written; write the amount people will read',
      }),
      expect.objectContaining({
        severity: 'warning', line: 7, col: 11, suggestion: '150000.00 USD',
        message: expect.stringContaining('the band bound 150000.001 USD has more decimals than USD has (2 decimals): statements and emails show it as 150000.00 USD, but the measure is compared with the bound as written'),
      }),
    ]);
    const yen = diagnose(incentive(bands('up to 100.5% pay 4%', 'above pay 8%'), '1_000_000.5 JPY')).filter((d) => d.code === 'SF6029');
    expect(yen.map((d) => [d.line, d.suggestion, d.message.split(':')[0]])).toEqual([[4, '1000001 JPY', 'the target 1000000.5 JPY has more decimals than JPY has (no minor unit)']]);
    const goal = diagnose('goal "g" {\n  measure revenue\n  target 5_000.125 EUR per month\n  at end of period { send "goal-review" to rep }\n}\n');
    expect(goal.filter((d) => d.code === 'SF6029').map((d) => [d.line, d.col, d.suggestion])).toEqual([[3, 10, '5000.13 EUR']]);
    // A goal's target must be more than zero (SF3013): 0.00 USD is not offered.
    const tiny = diagnose('goal "g" {\n  measure revenue\n  target 0.001 USD per month\n  at end of period { send "goal-review" to rep }\n}\n').find((d) => d.code === 'SF6029');
    expect(tiny).toMatchObject({ line: 3, message: expect.stringContaining('show it as 0.00 USD') });
    expect(tiny).not.toHaveProperty('suggestion');
    // Trailing zeros, 3-decimal currencies and % bounds are exact: nothing to say.
    const exact = diagnose(incentive(bands('up to 150_000.000 BHD pay 4%', 'above pay 8%'), '100_000.125 BHD'))
      .concat(diagnose(incentive(bands('up to 100.125% pay 4%', 'above pay 8%'), '100_000.50 USD')));
    expect(exact.map((d) => d.code)).not.toContain('SF6029');
  });

  it('a reward without a name is an error at its text; the same reward twice is a warning at the second', () => {
    const source = (rewards: string) => `settings { currency USD }\nincentive "Perks" {\n  period quarter\n  measure revenue\n  target 10000 USD\n${rewards}}\n`;
    const blank = diagnose(source('  reward "  " when attainment >= 100%\n')).find((d) => d.code === 'SF6023');
    expect(blank).toMatchObject({ severity: 'error', message: 'a reward needs a name: it is what the statement lists and the rep reads' });
    expect(blank).toMatchObject({ line: 6, col: 10 });
    const twice = diagnose(source('  reward "Extra day off" when attainment >= 100%\n  reward "extra day off" when attainment >= 120%\n'));
    expect(twice.filter((d) => d.severity === 'error')).toEqual([]);
    expect(twice.find((d) => d.code === 'SF6024')).toMatchObject({ severity: 'warning', message: 'reward "extra day off" is listed twice: a rep meeting both conditions reads it twice on the statement' });
    expect(twice.find((d) => d.code === 'SF6024')).toMatchObject({ line: 7, col: 10 });
    const distinct = diagnose(source('  reward "Extra day off" when attainment >= 100%\n  reward "Team dinner" when attainment >= 120%\n')).map((d) => d.code);
    expect(distinct).not.toContain('SF6023');
    expect(distinct).not.toContain('SF6024');
  });

  it('names the last amount bound when there is no `above` band (a warning)', () => {
    const d = diagnose(incentive(bands('up to 150_000 USD pay 4%'))).find((x) => x.code === 'SF6020');
    expect(d).toMatchObject({ severity: 'warning', message: 'no `above` band: nothing more is paid past 150000 USD' });
  });

  it('draw, clawback and disputes (not run by this version) are one error each, no cascade, and the rule does not compile', async () => {
    const source = incentive([
      '  draw 3000 USD per period recoverable for 2 periods',
      '  clawback within 90 days when deal.stage = "lost"',
      '  disputes to "comp-ops@acme.example" within 10 days',
      bands('up to 100% pay 8%', 'above pay 10%'),
    ].join('\n'));
    const errors = diagnose(source).filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.line, d.col, d.endCol])).toEqual([['SF6021', 6, 3, 53], ['SF6021', 7, 3, 51], ['SF6021', 8, 3, 53]]);
    expect(errors[0].message).toBe('`draw` is not supported by this version of salesflow (draws, SPEC "incentive, in depth"): the rule cannot run with it');
    expect((await compile(source)).plan).toBeNull();
    // A metric that happens to be called `draw` is still a metric.
    expect(diagnose('metric draw = count(deal) where deal.stage = "won"\n' + incentive(`  bonus 5 USD when\n    draw >= 2\n${bands('above pay 1%')}`))
      .filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('gives `credit`, `prorate` and `convert` once per rule', () => {
    expect(diagnose(incentive('  credit splits\n  credit team')).map((d) => d.code)).toContain('SF2103');
  });

  it('reports a `credit team` rule in a goal as not allowed there', () => {
    const goal = 'goal "g" {\n  measure revenue\n  target 1 USD per month\n  credit team\n  at end of period { send "goal-review" to rep }\n}\n';
    expect(diagnose(goal).find((d) => d.code === 'SF2101')).toMatchObject({ line: 4, col: 3 });
  });
});

describe('incentive, in depth: fmt', () => {
  it('prints every form canonically and a second pass changes nothing', () => {
    const messy = incentive([
      '  prorate   target by employment',
      '  credit  team   all levels',
      '  convert currencies   at closing  rate',
      '  commission marginal { up to 150000 USD pay 4%   up to 250_000.00 USD pay 6% above pay 8% }',
    ].join('\n'));
    const once = formatSource(messy, 'x.rules').formatted!;
    expect(once).toContain([
      '  prorate target by employment',
      '  credit team all levels',
      '  convert currencies at closing rate',
      '  commission marginal {',
      '    up to 150000 USD pay 4%',
      '    up to 250_000.00 USD pay 6%',
      '    above pay 8%',
      '  }',
    ].join('\n'));
    expect(formatSource(once, 'x.rules').formatted).toBe(once);
  });
});
